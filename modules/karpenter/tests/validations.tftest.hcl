# One run per validation of var.karpenter (and the scalar inputs): each must be rejected
# at plan time. Runs without AWS access: every rule is a variable validation.

variables {
  name         = "test-us-east"
  region       = "us-east-1"
  account_id   = "123456789012"
  cluster_name = "test-us-east"
  tags         = { owner = "platform-team" }
  karpenter = {
    chart_version       = "1.14.1"
    namespace           = "kube-system"
    min_on_demand_share = 0
    pools = {
      general = {
        instance_families = ["m6i"]
        capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
        limits            = { cpu = 100, memory_gi = 400 }
      }
    }
  }
}

run "defaults_are_valid" {
  # the file-level variables pass every rule, so each failure below is its own override's
  command = plan

  assert {
    condition     = length(output.nodepools) == 1
    error_message = "The valid baseline input must plan."
  }
}

run "unknown_policy" {
  # capacity-mix policy outside the known set
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "cheapest", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "spot_share_above_one" {
  # spot_share outside 0..1
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 1.5 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "spot_share_negative" {
  # spot_share outside 0..1
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = -0.1 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "ratio_needs_split" {
  # ratio with spot_share 1
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "ratio", spot_share = 1 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "baseline_needs_amount" {
  # on-demand-baseline without baseline
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand-baseline", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "ratio_below_min_on_demand" {
  # ratio leaving 10% on-demand under a 20% floor
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0.2
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "ratio", spot_share = 0.9 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "spot_first_below_min_on_demand" {
  # spot-first guarantees no on-demand
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0.2
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "baseline_below_min_on_demand" {
  # baseline 10 of 100 CPUs under a 20% floor
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0.2
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand-baseline", spot_share = 0.5, baseline_cpu = 10 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "gpu_without_taint" {
  # GPU pool without the nvidia.com/gpu taint
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = true
          instance_families = ["g5"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400, gpu = 8 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "gpu_taint_wrong_effect" {
  # GPU taint with PreferNoSchedule
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = true
          instance_families = ["g5"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400, gpu = 8 }
          taints            = [{ key = "nvidia.com/gpu", effect = "PreferNoSchedule" }]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "gpu_without_gpu_limit" {
  # GPU pool without limits.gpu
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = true
          instance_families = ["g5"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
          taints            = [{ key = "nvidia.com/gpu", effect = "NoSchedule" }]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "ami_alias_family" {
  # AMI alias of an unsupported family
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
          ami_alias         = "al2@latest"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "empty_families" {
  # no instance families
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = []
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "weight_out_of_range" {
  # weight above 100
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
          weight            = 101
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "weight_fraction" {
  # fractional weight
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
          weight            = 2.5
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "consolidation_policy" {
  # unknown consolidation policy
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu                  = false
          instance_families    = ["m6i"]
          capacity_mix         = { policy = "spot-first", spot_share = 0.5 }
          limits               = { cpu = 100, memory_gi = 400 }
          consolidation_policy = "Always"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "consolidate_after_format" {
  # consolidate_after not a duration
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
          consolidate_after = "5 minutes"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "expire_after_format" {
  # expire_after not a duration
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
          expire_after      = "forever"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "taint_effect" {
  # unknown taint effect
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu               = false
          instance_families = ["m6i"]
          capacity_mix      = { policy = "spot-first", spot_share = 0.5 }
          limits            = { cpu = 100, memory_gi = 400 }
          taints            = [{ key = "dedicated", value = "x", effect = "NoRun" }]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "schedule_without_duration" {
  # budget schedule without duration
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu                = false
          instance_families  = ["m6i"]
          capacity_mix       = { policy = "spot-first", spot_share = 0.5 }
          limits             = { cpu = 100, memory_gi = 400 }
          disruption_budgets = [{ nodes = "0", schedule = "0 9 * * 1-5" }]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "duration_without_schedule" {
  # budget duration without schedule
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu                = false
          instance_families  = ["m6i"]
          capacity_mix       = { policy = "spot-first", spot_share = 0.5 }
          limits             = { cpu = 100, memory_gi = 400 }
          disruption_budgets = [{ nodes = "0", duration = "8h" }]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "budget_nodes_format" {
  # budget nodes neither count nor percentage
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu                = false
          instance_families  = ["m6i"]
          capacity_mix       = { policy = "spot-first", spot_share = 0.5 }
          limits             = { cpu = 100, memory_gi = 400 }
          disruption_budgets = [{ nodes = "ten" }]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "budget_duration_seconds" {
  # budget duration in seconds
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0
      pools = {
        p = {
          gpu                = false
          instance_families  = ["m6i"]
          capacity_mix       = { policy = "spot-first", spot_share = 0.5 }
          limits             = { cpu = 100, memory_gi = 400 }
          disruption_budgets = [{ nodes = "0", schedule = "@daily", duration = "30s" }]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "chart_version_unpinned" {
  command = plan

  variables {
    karpenter = {
      chart_version = "latest"
      pools         = {}
    }
  }

  expect_failures = [var.karpenter]
}

run "min_share_above_one" {
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 1.5
      pools               = {}
    }
  }

  expect_failures = [var.karpenter]
}

run "pool_name_not_dns" {
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        "GPU_Pool" = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand", spot_share = 0 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "name_format" {
  command = plan

  variables {
    name = "Prod_US"
  }

  expect_failures = [var.name]
}

run "region_format" {
  command = plan

  variables {
    region = "useast1"
  }

  expect_failures = [var.region]
}

run "account_id_format" {
  command = plan

  variables {
    account_id = "12345"
  }

  expect_failures = [var.account_id]
}

run "ebs_key_not_kms" {
  command = plan

  variables {
    ebs_kms_key_arn = "arn:aws:s3:::bucket"
  }

  expect_failures = [var.ebs_kms_key_arn]
}

run "baseline_above_limit" {
  # the spot NodePool gets limits - baseline, so the baseline may not exceed the limit
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand-baseline", baseline_cpu = 200 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "baseline_gpu_without_gpu_limit" {
  # baseline_gpu is a share of limits.gpu, which must be set
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand-baseline", baseline_cpu = 10, baseline_gpu = 1 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "ratio_limit_too_small_to_split" {
  # each half of a ratio pool needs at least 1 of every limit
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "ratio", spot_share = 0.5 }
          limits            = { cpu = 1, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "ratio_share_is_the_spread_split" {
  # spot_share 0.33 splits 7 of 20 (0.65 on-demand), below a 0.66 floor
  command = plan

  variables {
    karpenter = {
      chart_version       = "1.14.1"
      min_on_demand_share = 0.66
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "ratio", spot_share = 0.33 }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "termination_grace_period_format" {
  # termination_grace_period is a Go duration like expire_after
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families        = ["m6i"]
          capacity_mix             = { policy = "spot-first" }
          limits                   = { cpu = 100, memory_gi = 400 }
          termination_grace_period = "1d"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "gpu_not_nvidia" {
  # a GPU pool takes NVIDIA GPU families only (AMD g4ad here)
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["g4ad"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "neuron_family" {
  # neuron families are rejected in every pool
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i", "trn1"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "zones_not_zones" {
  # zones must be distinct availability zones
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          zones             = ["us-east-1a", "us-east-1a"]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "zones_other_region" {
  # zones must lie in var.region
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          zones             = ["eu-west-1a"]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "reservations_too_many" {
  # at most 30 capacity reservation selector terms
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          capacity_reservations = [
            { id = "cr-0" },
            { id = "cr-1" },
            { id = "cr-2" },
            { id = "cr-3" },
            { id = "cr-4" },
            { id = "cr-5" },
            { id = "cr-6" },
            { id = "cr-7" },
            { id = "cr-8" },
            { id = "cr-9" },
            { id = "cr-10" },
            { id = "cr-11" },
            { id = "cr-12" },
            { id = "cr-13" },
            { id = "cr-14" },
            { id = "cr-15" },
            { id = "cr-16" },
            { id = "cr-17" },
            { id = "cr-18" },
            { id = "cr-19" },
            { id = "cr-20" },
            { id = "cr-21" },
            { id = "cr-22" },
            { id = "cr-23" },
            { id = "cr-24" },
            { id = "cr-25" },
            { id = "cr-26" },
            { id = "cr-27" },
            { id = "cr-28" },
            { id = "cr-29" },
            { id = "cr-30" },
          ]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "reservation_id_and_tags" {
  # a term selects by id or by tags, not both
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          capacity_reservations = [
            {
              id   = "cr-1"
              tags = { team = "ml" }
            },
          ]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "reservation_id_pattern" {
  # reservation ids look like cr-0123
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          capacity_reservations = [
            { id = "r-1" },
          ]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "reservation_empty_tag" {
  # no empty tag values
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          capacity_reservations = [
            {
              tags = { team = "" }
            },
          ]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "reservation_owner" {
  # owner is a 12-digit account id
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          capacity_reservations = [
            {
              tags  = { team = "ml" }
              owner = "12"
            },
          ]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "efa_interfaces_range" {
  # EFA interfaces are 1..32
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["p5"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          zones = ["us-east-1a"]
          efa   = { interfaces = 33 }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "efa_placement_group_one_of" {
  # a placement group by name or strategy cluster, one of the two
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["p5"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          zones = ["us-east-1a"]
          efa = {
            placement_group = { name = "pg", strategy = "cluster" }
          }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "efa_placement_group_name" {
  # placement group names: letters, digits, -, _ and .
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["p5"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          zones = ["us-east-1a"]
          efa = {
            placement_group = { name = "my pg" }
          }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "efa_placement_group_strategy" {
  # only the cluster strategy
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["p5"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          zones = ["us-east-1a"]
          efa = {
            placement_group = { strategy = "spread" }
          }
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "efa_needs_gpu" {
  # an EFA pool is a GPU pool
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["p5"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048 }
          zones             = ["us-east-1a"]
          efa               = {}
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "efa_families" {
  # EFA-capable families only
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["g6f"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          zones = ["us-east-1a"]
          efa   = {}
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "efa_one_zone" {
  # an EFA pool is pinned to exactly one zone
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["p5"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 192, memory_gi = 2048, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          zones = ["us-east-1a", "us-east-1b"]
          efa   = {}
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "instance_store_value" {
  # instance_store is raid0 or null
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6id"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          instance_store    = "raid1"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "instance_store_needs_nvme" {
  # raid0 only on families with NVMe instance store
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6id", "m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          instance_store    = "raid0"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "scale_to_zero_cpu_pool" {
  # scale_to_zero is for GPU pools
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          instance_families = ["m6i"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400 }
          scale_to_zero     = true
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "scale_to_zero_long_wait" {
  # a scale-to-zero pool waits at most 1h before removing an empty node
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["g6e"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          scale_to_zero     = true
          consolidate_after = "90m"
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}

run "scale_to_zero_budget_keeps_empty" {
  # no budget with nodes 0 may cover Empty
  command = plan

  variables {
    karpenter = {
      chart_version = "1.14.1"
      pools = {
        p = {
          gpu               = true
          instance_families = ["g6e"]
          capacity_mix      = { policy = "on-demand" }
          limits            = { cpu = 100, memory_gi = 400, gpu = 8 }
          taints = [
            { key = "nvidia.com/gpu", effect = "NoSchedule" },
          ]
          scale_to_zero = true
          disruption_budgets = [
            { nodes = "0", schedule = "@daily", duration = "1h" },
          ]
        }
      }
    }
  }

  expect_failures = [var.karpenter]
}
