################################################################################
# Interruption queue and the EventBridge rules that feed it
################################################################################

resource "aws_sqs_queue" "interruption" {
  region                    = var.region
  name                      = local.queue_name
  message_retention_seconds = 300
  sqs_managed_sse_enabled   = var.queue_kms_key_arn == null ? true : null
  kms_master_key_id         = var.queue_kms_key_arn
  tags                      = local.tags
}

# The queue ARN is built from known parts so the policy (and its conditions) is known at plan time.
data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "AllowEventsToSendInterruptions"
    actions   = ["sqs:SendMessage"]
    resources = [local.queue_arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only this module's five rules (names known at plan time), not any rule in any account.
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [for k in sort(keys(local.interruption_events)) : "arn:${var.partition}:events:${var.region}:${var.account_id}:rule/${local.event_rule_names[k]}"]
    }
  }

  statement {
    sid       = "DenyNonTlsAccess"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.queue_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "interruption" {
  region    = var.region
  queue_url = aws_sqs_queue.interruption.url
  policy    = data.aws_iam_policy_document.queue.json
}

locals {
  event_rule_names = { for k in keys(local.interruption_events) : k => "${var.name}-karpenter-${k}" }

  # The events Karpenter v1 handles (karpenter.sh reference/cloudformation, interruption).
  interruption_events = {
    spot-interruption = {
      description = "EC2 Spot two-minute interruption warnings"
      pattern     = { source = ["aws.ec2"], detail-type = ["EC2 Spot Instance Interruption Warning"] }
    }
    rebalance = {
      description = "EC2 instance rebalance recommendations"
      pattern     = { source = ["aws.ec2"], detail-type = ["EC2 Instance Rebalance Recommendation"] }
    }
    state-change = {
      description = "EC2 instance state changes (stopping, terminated outside Karpenter)"
      pattern     = { source = ["aws.ec2"], detail-type = ["EC2 Instance State-change Notification"] }
    }
    scheduled-change = {
      description = "AWS Health scheduled changes (instance retirement, maintenance)"
      pattern     = { source = ["aws.health"], detail-type = ["AWS Health Event"] }
    }
    capacity-reservation = {
      description = "Interruptible capacity reservation reclaim warnings"
      pattern     = { source = ["aws.ec2"], detail-type = ["EC2 Capacity Reservation Instance Interruption Warning"] }
    }
  }
}

resource "aws_cloudwatch_event_rule" "interruption" {
  for_each = local.interruption_events

  region        = var.region
  name          = local.event_rule_names[each.key]
  description   = "Karpenter ${var.cluster_name}: ${each.value.description}"
  event_pattern = jsonencode(each.value.pattern)
  tags          = local.tags
}

resource "aws_cloudwatch_event_target" "interruption" {
  for_each = local.interruption_events

  region    = var.region
  rule      = aws_cloudwatch_event_rule.interruption[each.key].name
  target_id = "KarpenterInterruptionQueue"
  arn       = aws_sqs_queue.interruption.arn
}
