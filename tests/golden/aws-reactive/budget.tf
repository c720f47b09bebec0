# Phase 3, deployment: the cost budget (budget.monthly_usd). AWS Budgets counts the costs tagged
# with this blueprint's client and environment tags and notifies the alerts topic of monitoring.tf, whose
# policy lets only this account's budgets publish (aws:SourceAccount, aws:SourceArn). The tags must be
# activated as cost allocation tags in the paying account's Billing console, or the budget sees nothing.

locals {
  budget_name = "initech-prod-monthly"
  # aws:SourceArn as AWS Budgets' documentation gives it for SNS topic policies (any budget of this
  # account): the exact per-budget ARN it sends is not documented, and a mismatch would silently
  # drop every alert (only the SNS permission is checked when the notification is created).
  budget_source_arn = "arn:${local.partition}:budgets::${local.account_id}:*"
}

resource "aws_budgets_budget" "main" {
  name         = local.budget_name
  budget_type  = "COST"
  limit_amount = "150.00"
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  filter_expression {
    and {
      tags {
        key    = "client"
        values = ["initech"]
      }
    }
    and {
      tags {
        key    = "environment"
        values = ["prod"]
      }
    }
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  # Budgets checks that it may publish when the notification is created.
  depends_on = [aws_sns_topic_policy.alerts]
}
