# Invariants of the generated Karpenter objects. Runs without AWS access (outputs only).

variables {
  name         = "prod-us-east"
  region       = "us-east-1"
  account_id   = "123456789012"
  cluster_name = "prod-us-east"
  tags         = { owner = "platform-team", environment = "prod" }
  karpenter = {
    chart_version       = "1.14.1"
    namespace           = "kube-system"
    min_on_demand_share = 0.2
    pools = {
      general = {
        instance_families = ["m6i", "c6i"]
        capacity_mix      = { policy = "ratio", spot_share = 0.75 }
        limits            = { cpu = 1000, memory_gi = 4000 }
      }
      gpu = {
        gpu                      = true
        instance_families        = ["g6", "g5"]
        capacity_mix             = { policy = "on-demand-baseline", spot_share = 0.5, baseline_cpu = 96, baseline_gpu = 4 }
        limits                   = { cpu = 384, memory_gi = 1536, gpu = 16 }
        taints                   = [{ key = "nvidia.com/gpu", value = "true", effect = "NoSchedule" }]
        consolidation_policy     = "WhenEmpty"
        consolidate_after        = "10m"
        termination_grace_period = "24h"
        disruption_budgets = [
          { nodes = "0", schedule = "0 8 * * mon-fri", duration = "10h" },
          { nodes = "1" },
        ]
      }
    }
  }
}

run "pool_names_follow_the_contract" {
  command = plan

  assert {
    condition     = [for o in output.nodepools : o.metadata.name] == ["general-on-demand", "general-spot", "gpu-on-demand", "gpu-spot"]
    error_message = "NodePools must be <pool>-on-demand / <pool>-spot for split mixes, sorted by name."
  }

  assert {
    condition     = [for o in output.ec2nodeclasses : o.metadata.name] == ["general", "gpu"]
    error_message = "One EC2NodeClass per pool, named after the pool."
  }
}

run "gpu_taint_always_present" {
  command = plan

  assert {
    condition = alltrue([for o in output.nodepools : anytrue([
      for t in try(o.spec.template.spec.taints, []) : t.key == "nvidia.com/gpu" && t.effect == "NoSchedule"
    ]) if startswith(o.metadata.name, "gpu")])
    error_message = "Every GPU NodePool carries the nvidia.com/gpu NoSchedule taint."
  }

  assert {
    condition = alltrue([for o in output.nodepools : contains(
      [for r in o.spec.template.spec.requirements : r.key], "karpenter.k8s.aws/instance-gpu-count"
    ) if startswith(o.metadata.name, "gpu")])
    error_message = "GPU NodePools require instance-gpu-count > 0."
  }

  assert {
    condition = alltrue([for o in output.nodepools : contains(
      o.spec.template.spec.requirements, { key = "karpenter.k8s.aws/instance-gpu-manufacturer", operator = "In", values = ["nvidia"] }
    ) == startswith(o.metadata.name, "gpu")])
    error_message = "GPU NodePools (and only they) require NVIDIA GPUs."
  }
}

run "baseline_outranks_burst" {
  command = plan

  assert {
    condition     = output.nodepools[2].spec.weight > output.nodepools[3].spec.weight
    error_message = "The on-demand baseline pool must have the higher weight so it fills before spot."
  }

  assert {
    condition     = output.nodepools[2].spec.limits.cpu == 96 && output.nodepools[2].spec.limits["nvidia.com/gpu"] == 4 && output.nodepools[2].spec.limits.memory == "384Gi"
    error_message = "The baseline pool is capped at baseline_cpu / baseline_gpu, memory at the cpu share."
  }

  assert {
    condition     = output.nodepools[3].spec.limits.cpu == 288 && output.nodepools[3].spec.limits["nvidia.com/gpu"] == 12 && output.nodepools[3].spec.limits.memory == "1152Gi"
    error_message = "The burst pool gets limits - baseline, so both together stay within the pool's limits."
  }
}

run "grace_period_bounds_draining" {
  command = plan

  assert {
    condition     = alltrue([for o in output.nodepools : o.spec.template.spec.terminationGracePeriod == "24h" if startswith(o.metadata.name, "gpu")])
    error_message = "termination_grace_period lands on spec.template.spec.terminationGracePeriod."
  }

  assert {
    condition     = alltrue([for o in output.nodepools : !contains(keys(o.spec.template.spec), "terminationGracePeriod") if startswith(o.metadata.name, "general")])
    error_message = "A null termination_grace_period leaves the field out."
  }
}

run "discovery_tag_is_the_cluster_name" {
  command = plan

  variables {
    cluster_name = "prod-use1-eks"
  }

  assert {
    condition = alltrue([for o in output.ec2nodeclasses :
      o.spec.subnetSelectorTerms[0].tags["karpenter.sh/discovery"] == "prod-use1-eks" && o.spec.securityGroupSelectorTerms[0].tags["karpenter.sh/discovery"] == "prod-use1-eks"
    ])
    error_message = "Subnets and security groups are selected by karpenter.sh/discovery = cluster_name, as the network module tags them."
  }
}

run "ratio_splits_the_spread_domain" {
  command = plan

  assert {
    condition     = jsonencode(output.nodepools[0].spec.template.spec.requirements[3].values) == jsonencode(["4"]) && jsonencode(output.nodepools[1].spec.template.spec.requirements[3].values) == jsonencode(["1", "2", "3"])
    error_message = "spot_share 0.75 must give spot 3 of 4 capacity-spread values."
  }

  assert {
    condition     = output.nodepools[1].spec.limits.cpu == 750 && output.nodepools[1].spec.limits.memory == "3000Gi" && output.nodepools[0].spec.limits.cpu == 250 && output.nodepools[0].spec.limits.memory == "1000Gi"
    error_message = "A ratio pool's limits are split 3/4 spot, 1/4 on-demand (the sum is the pool's limit)."
  }
}

run "nodeclasses_are_hardened" {
  command = plan

  assert {
    condition = alltrue([for o in output.ec2nodeclasses :
      o.spec.metadataOptions.httpTokens == "required" && o.spec.metadataOptions.httpPutResponseHopLimit == 1
    ])
    error_message = "IMDSv2 required with hop limit 1."
  }

  assert {
    condition = alltrue(flatten([for o in output.ec2nodeclasses : [for d in o.spec.blockDeviceMappings :
      d.ebs.encrypted && d.ebs.kmsKeyID == "arn:aws:kms:us-east-1:123456789012:alias/prod-us-east-ebs"
    ]]))
    error_message = "Every volume is encrypted with the region's ebs key alias."
  }

  assert {
    condition     = alltrue([for o in output.ec2nodeclasses : o.spec.role == "prod-us-east-karpenter-node"])
    error_message = "EC2NodeClass role is the region-qualified node role."
  }
}

run "helm_values_point_at_the_queue" {
  command = plan

  assert {
    condition     = output.helm_values.settings.interruptionQueue == "prod-us-east-karpenter" && output.helm_values.settings.clusterName == "prod-us-east"
    error_message = "Helm values name the cluster and the interruption queue."
  }

  assert {
    condition     = output.charts[0].name == "karpenter-crd" && output.charts[1].version == "1.14.1"
    error_message = "The CRD chart comes first and charts are pinned."
  }
}
