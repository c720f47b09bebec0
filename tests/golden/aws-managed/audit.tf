# Audit trail (phases.data.audit_trail): every read, write and delete of an object in the data
# buckets, by whom, from where. Management events (who changed what) are left to the account's
# or organisation's own trail: a second copy of them would be billed.

locals {
  audit_trail_name = "umbrella-prod-audit"
  # Known before the trail exists, so the bucket and key policies can name it.
  audit_trail_arn = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.audit_trail_name}"
}

resource "aws_cloudtrail" "audit" {
  #checkov:skip=CKV_AWS_67:a trail of this blueprint's buckets, which live in one region; account-wide trails belong to the account baseline
  #checkov:skip=CKV_AWS_252:no SNS notice per delivered log file; the files are the audit record, not an alert source
  #checkov:skip=CKV2_AWS_10:the trail's files go to the logs bucket (KMS, log file validation); a CloudWatch Logs copy would double the cost of every data event
  name                          = local.audit_trail_name
  s3_bucket_name                = aws_s3_bucket.logs.id
  s3_key_prefix                 = "cloudtrail"
  kms_key_id                    = aws_kms_key.logs.arn
  enable_log_file_validation    = true
  include_global_service_events = false
  is_multi_region_trail         = false

  advanced_event_selector {
    name = "Object-level events of the data buckets"

    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }

    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }

    field_selector {
      field = "resources.ARN"
      starts_with = [
        "${aws_s3_bucket.raw.arn}/",
        "${aws_s3_bucket.curated.arn}/",
        "${aws_s3_bucket.artifacts.arn}/",
      ]
    }
  }

  depends_on = [aws_s3_bucket_policy.logs]
}
