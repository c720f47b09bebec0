# What the client's teams and the pipeline need after apply.

output "kms_key_arn" {
  description = "Customer-managed key encrypting this blueprint's data, logs and images"
  value       = aws_kms_key.main.arn
}

output "raw_bucket" {
  description = "Drop raw data here (csv with a header line by default); the ETL job picks it up"
  value       = aws_s3_bucket.raw.bucket
}

output "curated_bucket" {
  description = "Parquet written by the ETL job, one table per raw dataset (catalogued in the Glue database)"
  value       = aws_s3_bucket.curated.bucket
}

output "artifacts_bucket" {
  description = "Model artifacts, code, Glue scripts, data capture and monitoring output"
  value       = aws_s3_bucket.artifacts.bucket
}

output "access_logs_bucket" {
  description = "S3 server access logs of the data buckets"
  value       = aws_s3_bucket.logs.bucket
}

output "glue_database" {
  description = "Glue Data Catalog database with the curated tables"
  value       = aws_glue_catalog_database.main.name
}

output "glue_etl_job" {
  description = "Glue job raw -> curated"
  value       = aws_glue_job.etl.name
}

output "vpc_id" {
  description = "VPC of the SageMaker workspaces and jobs"
  value       = local.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets (no internet route) of the SageMaker workspaces and jobs"
  value       = local.private_subnet_ids
}

output "sagemaker_security_group_id" {
  description = "Security group of SageMaker workspaces and jobs"
  value       = aws_security_group.sagemaker.id
}

output "sagemaker_execution_role_arn" {
  description = "Role of the notebooks or Studio and of the jobs started from them (writes only scratch/ of the artifacts bucket)"
  value       = aws_iam_role.sagemaker_execution.arn
}

output "model_package_group" {
  description = "SageMaker model registry (model package group)"
  value       = aws_sagemaker_model_package_group.main.model_package_group_name
}

output "ecr_repository_url" {
  description = "Push custom training and inference images here (tags are immutable)"
  value       = aws_ecr_repository.models.repository_url
}

output "sagemaker_notebook_instances" {
  description = "Notebook instance of each data scientist (user -> name)"
  value       = { for user, nb in aws_sagemaker_notebook_instance.workspace : user => nb.name }
}
output "pipeline_state_machine_arn" {
  description = "The ML pipeline (Step Functions); start it by hand with: aws stepfunctions start-execution --state-machine-arn <this>"
  value       = aws_sfn_state_machine.pipeline.arn
}

output "pipeline_schedule" {
  description = "EventBridge Scheduler expression (UTC) that starts the pipeline"
  value       = aws_scheduler_schedule.pipeline.schedule_expression
}

output "sagemaker_pipeline_role_arn" {
  description = "Role of the pipeline's SageMaker jobs and models (not the notebooks'): the only role that writes the models and their evaluations"
  value       = aws_iam_role.sagemaker_pipeline.arn
}

output "alerts_topic_arn" {
  description = "SNS topic that receives every alarm and pipeline failure"
  value       = aws_sns_topic.alerts.arn
}

output "predictions_uri" {
  description = "Where each pipeline run's batch predictions land (one folder per run)"
  value       = "s3://${aws_s3_bucket.artifacts.bucket}/predictions/"
}
