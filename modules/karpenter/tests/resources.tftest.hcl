# AWS-side invariants. Needs the aws provider (the sandbox provider offline), unlike
# validations.tftest.hcl and manifests.tftest.hcl which only evaluate variables.

variables {
  name         = "prod-us-east"
  region       = "us-east-1"
  account_id   = "123456789012"
  cluster_name = "prod-us-east"
  karpenter = {
    chart_version = "1.14.1"
    pools = {
      general = {
        instance_families = ["m6i"]
        capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
        limits            = { cpu = 100, memory_gi = 400 }
      }
    }
  }
}

run "global_names_are_region_qualified" {
  command = plan

  assert {
    condition     = aws_iam_role.node.name == "prod-us-east-karpenter-node" && aws_iam_role.controller.name == "prod-us-east-karpenter-controller"
    error_message = "IAM role names carry the region-qualified name."
  }

  assert {
    condition     = alltrue([for r in aws_cloudwatch_event_rule.interruption : startswith(r.name, "prod-us-east-karpenter-")])
    error_message = "EventBridge rule names carry the region-qualified name."
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.interruption) == 5 && length(aws_cloudwatch_event_target.interruption) == 5
    error_message = "Five interruption rules, each with the queue as target."
  }
}

run "queue_is_encrypted" {
  command = plan

  assert {
    condition     = aws_sqs_queue.interruption.sqs_managed_sse_enabled == true
    error_message = "Without a CMK the queue uses SQS-managed SSE."
  }

  assert {
    condition     = aws_eks_access_entry.node.type == "EC2_LINUX"
    error_message = "Nodes join through an EC2_LINUX access entry."
  }
}
