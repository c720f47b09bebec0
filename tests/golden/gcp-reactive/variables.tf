# Defaults come from the client spec; override them (e.g. in a *.tfvars file) only for
# choices the spec does not cover.

variable "dataflow_input_pattern" {
  description = "Files of the raw bucket the scheduled Dataflow job loads into the curated table (JSON lines)."
  type        = string
  default     = "gs://hooli-dsaas-dev-dev-raw/incoming/*.jsonl"

  validation {
    condition     = startswith(var.dataflow_input_pattern, "gs://")
    error_message = "Must be a gs:// path or pattern."
  }
}

variable "dataflow_max_workers" {
  description = "Upper bound of Dataflow autoscaling for the raw -> curated job."
  type        = number
  default     = 2

  validation {
    condition     = var.dataflow_max_workers >= 1 && var.dataflow_max_workers <= 1000
    error_message = "Must be between 1 and 1000."
  }
}

variable "workbench_zone" {
  description = "Zone of the Workbench instances (choose one that offers the GPU, if any)."
  type        = string
  default     = "us-east1-b"
}
