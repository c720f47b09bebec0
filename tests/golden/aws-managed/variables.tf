# Inputs of this blueprint. Everything client-specific is rendered from the spec (the VPC
# endpoints a reused VPC already has: aws.network.existing_endpoints); there are no variables.
