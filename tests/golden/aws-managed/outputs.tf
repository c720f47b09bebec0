# What the client's teams and the pipeline need after apply.

output "kms_key_arn" {
  description = "Customer-managed key of the data family (raw and curated data); kms_key_arns has every family's"
  value       = aws_kms_key.data.arn
}

output "kms_key_arns" {
  description = "Customer-managed key of each service family"
  value       = { data = aws_kms_key.data.arn, training = aws_kms_key.training.arn, logs = aws_kms_key.logs.arn, serving = aws_kms_key.serving.arn, pipeline = aws_kms_key.pipeline.arn }
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

output "sagemaker_domain_id" {
  description = "SageMaker Studio domain; open it with: aws sagemaker create-presigned-domain-url --domain-id <id> --user-profile-name <user>"
  value       = aws_sagemaker_domain.main.id
}

output "sagemaker_studio_url" {
  description = "Studio URL of the domain (IAM authentication)"
  value       = aws_sagemaker_domain.main.url
}

output "sagemaker_user_profiles" {
  description = "Studio user profile of each data scientist"
  value       = sort([for p in aws_sagemaker_user_profile.users : p.user_profile_name])
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

output "deploy_state_machine_arn" {
  description = "Deploys approved models; promote the challenger with: aws stepfunctions start-execution --state-machine-arn <this> --input '{\"promote\": true}'"
  value       = aws_sfn_state_machine.deploy.arn
}

output "endpoint_name" {
  description = "SageMaker endpoint created and updated by the deploy state machine (absent until a model is first approved)"
  value       = local.endpoint_name
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline, endpoint and API"
  value       = aws_cloudwatch_dashboard.main.dashboard_name
}
output "api_predict_url" {
  description = "POST JSON {\"instances\": [[...features...]]} here with an x-api-key header"
  value       = "${aws_api_gateway_stage.main.invoke_url}/predict"
}

output "api_key_ids" {
  description = "API key id per consumer; read a key's value with: aws apigateway get-api-key --include-value --api-key <id>"
  value       = { for name, key in aws_api_gateway_api_key.consumer : name => key.id }
}

output "api_usage_plan_ids" {
  description = "Usage plan id per consumer (throttle and daily quota)"
  value       = { for name, plan in aws_api_gateway_usage_plan.consumer : name => plan.id }
}
