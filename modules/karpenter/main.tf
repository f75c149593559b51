# Names and shared values. Everything the cluster-side manifests (nodepools.tf) need is
# derived from variables only, so the manifests are known at plan time and equal to what
# `toolkit.render.karpenter.build_manifests` renders from the same tfvars.

locals {
  # Global (IAM) and regional names carry var.name, which already holds the region key
  # ("prod-us-east"), so the same cluster name can run in two regions.
  node_role_name       = "${var.name}-karpenter-node"
  controller_role_name = "${var.name}-karpenter-controller"
  controller_policy    = "${var.name}-karpenter-controller"
  queue_name           = "${var.name}-karpenter"
  queue_arn            = "arn:${var.partition}:sqs:${var.region}:${var.account_id}:${local.queue_name}"
  service_account      = "karpenter"

  cluster_arn = "arn:${var.partition}:eks:${var.region}:${var.account_id}:cluster/${var.cluster_name}"

  # Deterministic: the kms module creates alias/<name>-ebs in this region.
  ebs_key_alias     = "alias/${var.name}-ebs"
  ebs_key_alias_arn = "arn:${var.partition}:kms:${var.region}:${var.account_id}:${local.ebs_key_alias}"

  # The cluster name, as the network and eks-cluster modules tag subnets and security groups.
  discovery_tags = { "karpenter.sh/discovery" = var.cluster_name }

  tags = merge(var.tags, local.discovery_tags)
}

# Instance family tables: the twins of the tables in toolkit/settings/pools.py (a test keeps
# them equal; README "Family tables" cites the sources). The pool validations in variables.tf
# read them.
locals {
  # Families whose GPUs are NVIDIA (nvidia.com/gpu).
  nvidia_gpu_families = [
    "g4dn", "g5", "g5g", "g6", "g6e", "g6f", "g7", "g7e", "gr6", "gr6f",
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
  ]
  # AWS Neuron families: not supported in any pool yet.
  neuron_families = {
    inf1 = "AWS Inferentia", inf2 = "AWS Inferentia",
    trn1 = "AWS Trainium", trn1n = "AWS Trainium", trn2 = "AWS Trainium",
  }
  # Other accelerated families that are not NVIDIA GPUs, with what they carry (for messages).
  other_accelerator_families = {
    g4ad = "AMD GPU", dl1 = "Intel Gaudi", dl2q = "Qualcomm AI 100",
    f1   = "FPGA", f2 = "FPGA", vt1 = "Xilinx media accelerator",
  }
  accelerator_kinds = merge(local.other_accelerator_families, local.neuron_families)
  # NVIDIA GPU families with EFA (on their larger sizes: Karpenter skips the sizes without it).
  efa_families = [
    "g4dn", "g5", "g6", "g6e", "g7", "g7e", "gr6",
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
  ]
  # Families with NVMe SSD instance store on every size (instance_store = "raid0").
  nvme_families = [
    "g4dn", "g5", "g6", "g6e", "g6f", "g7", "g7e", "gr6", "gr6f",
    "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
    "c5d", "c6id", "c7gd", "m5d", "m6id", "m7gd", "r5d", "r6id", "r7gd",
    "i3", "i3en", "i4g", "i4i", "im4gn", "is4gen",
  ]
}
