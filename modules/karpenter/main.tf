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
