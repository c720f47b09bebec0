"""Cloud account checks run before Terraform; boto3/google are imported only by the cloud modules."""
