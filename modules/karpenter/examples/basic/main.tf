# A cluster's Karpenter: the AWS side and the NodePool / EC2NodeClass objects for three
# pools (ratio CPU pool, GPU inference with an on-demand baseline, on-demand GPU training).
# The cluster itself comes from modules/eks-cluster; here it is named by variables.

provider "aws" {
  region = var.region
}

module "karpenter" {
  source = "../.."

  name         = var.name
  region       = var.region
  account_id   = var.account_id
  cluster_name = var.name
  tags         = var.tags

  karpenter = {
    chart_version       = "1.14.1"
    namespace           = "kube-system"
    min_on_demand_share = 0.2
    pools = {
      general = {
        instance_families = ["m6i", "c6i", "r6i"]
        capacity_mix      = { policy = "ratio", spot_share = 0.75 }
        limits            = { cpu = 1000, memory_gi = 4000 }
        labels            = { workload-class = "general" }
      }
      gpu-inference = {
        gpu                  = true
        instance_families    = ["g6", "g5"]
        capacity_mix         = { policy = "on-demand-baseline", spot_share = 0.5, baseline_cpu = 96, baseline_gpu = 4 }
        limits               = { cpu = 384, memory_gi = 1536, gpu = 16 }
        taints               = [{ key = "nvidia.com/gpu", value = "true", effect = "NoSchedule" }]
        labels               = { workload-class = "inference" }
        weight               = 50
        consolidation_policy = "WhenEmpty"
        consolidate_after    = "10m"
        expire_after         = "336h"
        # Budgets do not hold back expiry; this bounds how long a draining node may block.
        termination_grace_period = "2h"
        disruption_budgets = [
          { nodes = "0", schedule = "0 8 * * mon-fri", duration = "10h" },
          { nodes = "1", reasons = ["Empty", "Drifted"] },
        ]
        root_volume_gi = 200
      }
      gpu-training = {
        gpu               = true
        instance_families = ["p5", "p4d"]
        capacity_mix      = { policy = "on-demand", spot_share = 0 }
        limits            = { cpu = 768, memory_gi = 8192, gpu = 32 }
        ami_alias         = "bottlerocket@latest"
        taints = [
          { key = "nvidia.com/gpu", effect = "NoSchedule" },
          { key = "workload-class", value = "training", effect = "NoSchedule" },
        ]
        labels               = { workload-class = "training" }
        weight               = 60
        consolidation_policy = "WhenEmpty"
        consolidate_after    = "30m"
        expire_after         = "Never"
        disruption_budgets = [
          { nodes = "0", schedule = "0 7 * * 1-5", duration = "12h" },
          { nodes = "10%" },
        ]
        root_volume_gi = 500
      }
    }
  }
}
