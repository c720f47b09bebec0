# Inputs of this blueprint. Everything client-specific is rendered from the spec; variables
# are only the switches an operator may need at apply time.

variable "create_vpc_endpoints" {
  description = "Create the interface and S3 gateway endpoints SageMaker needs in the reused VPC. Set to false when the VPC already has them (with private DNS): a second endpoint with private DNS for the same service cannot be created."
  type        = bool
  default     = true
  nullable    = false
}
