locals {
  bottlerocket     = startswith(var.system_node_group.ami_type, "BOTTLEROCKET")
  root_device_name = local.bottlerocket ? "/dev/xvdb" : "/dev/xvda"
}

resource "aws_launch_template" "system" {
  region                 = var.region
  name_prefix            = "${var.name}-system-"
  description            = "System node group of EKS cluster ${var.name}"
  update_default_version = true

  # IMDSv2 only, and a hop limit of 1 so that pods (not on the host network) cannot reach
  # the node's credentials; pods get AWS access through EKS Pod Identity instead.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = local.root_device_name

    ebs {
      volume_size           = var.system_node_group.disk_size_gb
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = var.ebs_kms_key_arn
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-system" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.name}-system" })
  }

  tags = var.tags
}

resource "aws_eks_node_group" "system" {
  region          = var.region
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "system"
  node_role_arn   = aws_iam_role.system_node.arn
  subnet_ids      = var.subnet_ids
  version         = var.kubernetes_version
  ami_type        = var.system_node_group.ami_type
  capacity_type   = "ON_DEMAND"
  instance_types  = var.system_node_group.instance_types

  scaling_config {
    min_size     = var.system_node_group.min_size
    max_size     = var.system_node_group.max_size
    desired_size = var.system_node_group.desired_size
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.system.id
    version = aws_launch_template.system.latest_version
  }

  # Only critical add-ons (CoreDNS, Karpenter, ...) tolerate this taint.
  taint {
    key    = "CriticalAddonsOnly"
    value  = "true"
    effect = "NO_SCHEDULE"
  }

  labels = {
    "workload-class" = "system"
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy_attachment.system_node,
    aws_eks_addon.before_compute,
  ]

  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }
}
