locals {
  # Networking and identity add-ons must run before nodes join; the rest need nodes.
  addons_before_compute = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]
  # The node monitoring agent (node health conditions for Karpenter's node repair) joins the
  # add-ons when var.node_monitoring_agent is true; an entry in var.addons (a pinned version)
  # takes precedence.
  addons = merge(
    var.node_monitoring_agent ? { "eks-node-monitoring-agent" = { version = null } } : {},
    var.addons,
  )
  latest_addons = { for name, addon in local.addons : name => addon if addon.version == null }
  addon_versions = {
    for name, addon in local.addons : name => (
      addon.version != null ? addon.version : data.aws_eks_addon_version.latest[name].version
    )
  }
}

data "aws_eks_addon_version" "latest" {
  for_each = local.latest_addons

  region             = var.region
  addon_name         = each.key
  kubernetes_version = var.kubernetes_version
  most_recent        = true
}

resource "aws_eks_addon" "before_compute" {
  for_each = { for name, addon in local.addons : name => addon if contains(local.addons_before_compute, name) }

  region                      = var.region
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = local.addon_versions[each.key]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  dynamic "pod_identity_association" {
    for_each = contains(keys(local.pod_identity_addons), each.key) ? [local.pod_identity_addons[each.key]] : []

    content {
      role_arn        = aws_iam_role.addon[each.key].arn
      service_account = pod_identity_association.value.service_account
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy_attachment.addon]
}

resource "aws_eks_addon" "this" {
  for_each = { for name, addon in local.addons : name => addon if !contains(local.addons_before_compute, name) }

  region                      = var.region
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = local.addon_versions[each.key]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  dynamic "pod_identity_association" {
    for_each = contains(keys(local.pod_identity_addons), each.key) ? [local.pod_identity_addons[each.key]] : []

    content {
      role_arn        = aws_iam_role.addon[each.key].arn
      service_account = pod_identity_association.value.service_account
    }
  }

  tags = var.tags

  depends_on = [
    aws_eks_node_group.system,
    aws_iam_role_policy_attachment.addon,
    aws_iam_role_policy.ebs_csi_kms,
  ]
}
