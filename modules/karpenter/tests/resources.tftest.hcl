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

run "queue_accepts_only_the_module_rules" {
  command = plan

  assert {
    condition     = jsondecode(data.aws_iam_policy_document.queue.json).Statement[0].Principal.Service == "events.amazonaws.com"
    error_message = "Only EventBridge may send to the interruption queue."
  }

  assert {
    condition = toset(jsondecode(data.aws_iam_policy_document.queue.json).Statement[0].Condition.ArnEquals["aws:SourceArn"]) == toset([
      for k in ["spot-interruption", "rebalance", "state-change", "scheduled-change", "capacity-reservation"] :
      "arn:aws:events:us-east-1:123456789012:rule/prod-us-east-karpenter-${k}"
    ])
    error_message = "SendMessage is limited to the module's five rule ARNs (aws:SourceArn)."
  }
}

run "node_role_has_no_cni_policy" {
  command = plan

  assert {
    condition     = toset(keys(aws_iam_role_policy_attachment.node)) == toset(["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"])
    error_message = "Node role: worker node, ECR pull-only and SSM; the CNI policy belongs to the vpc-cni Pod Identity role."
  }
}

run "efa_pools_get_cluster_placement_groups" {
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        general = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first" }
          limits            = { cpu = 100, memory_gi = 400 }
        }
        train = {
          gpu               = true
          instance_families = ["p5"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048, gpu = 8 }
          taints            = [{ key = "nvidia.com/gpu", effect = "NoSchedule" }]
          zones             = ["us-east-1a"]
          efa               = { interfaces = 32 }
        }
        tune = {
          gpu               = true
          instance_families = ["p4d"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 96, memory_gi = 1152, gpu = 8 }
          taints            = [{ key = "nvidia.com/gpu", effect = "NoSchedule" }]
          zones             = ["us-east-1b"]
          efa               = { interfaces = 4, placement_group = { name = "existing-pg" } }
        }
      }
    }
  }

  assert {
    condition     = keys(aws_placement_group.efa) == ["train"] && aws_placement_group.efa["train"].name == "prod-us-east-train" && aws_placement_group.efa["train"].strategy == "cluster"
    error_message = "Only EFA pools with strategy cluster get a placement group, <name>-<pool>; a named one is selected, not created."
  }

  assert {
    condition     = output.ec2nodeclasses[1].spec.placementGroupSelector.name == "prod-us-east-train" && output.ec2nodeclasses[2].spec.placementGroupSelector.name == "existing-pg"
    error_message = "The EC2NodeClass selects the placement group by name."
  }
}
