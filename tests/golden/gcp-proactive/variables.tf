# Defaults come from the client spec; override them (e.g. in a *.tfvars file) only for
# choices the spec does not cover.

variable "subnet_cidr" {
  description = "Primary range of the subnet (nodes, notebooks, Dataflow workers)."
  type        = string
  default     = "10.10.0.0/20"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "Must be an IPv4 CIDR block, e.g. 10.10.0.0/20."
  }
}

variable "dataflow_max_workers" {
  description = "Upper bound of Dataflow autoscaling for the raw -> curated job."
  type        = number
  default     = 5

  validation {
    condition     = var.dataflow_max_workers >= 1 && var.dataflow_max_workers <= 1000
    error_message = "Must be between 1 and 1000."
  }
}

variable "workbench_zone" {
  description = "Zone of the Workbench instances (choose one that offers the GPU, if any)."
  type        = string
  default     = "europe-west1-b"
}
