# Inputs of this blueprint. Everything client-specific is rendered from the spec (the VPC
# endpoints a reused VPC already has: aws.network.existing_endpoints); the only variables are the
# prepare step's inputs, declared with it in deployment.tf.
