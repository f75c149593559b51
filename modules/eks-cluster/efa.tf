################################################################################
# EFA security group: all traffic from and to itself, for the nodes of Karpenter's EFA pools.
#
# EFA's OS-bypass traffic needs a security group that allows all inbound and all outbound
# traffic from and to the group itself. The EKS cluster security group (the node security
# group of this stack) has both rules by default and EKS recreates them when they are removed,
# so they are not written there a second time (EC2 rejects a duplicate rule). This group holds
# the two rules explicitly; the EC2NodeClasses of EFA pools select it by its
# infra.platform/efa tag besides the cluster security group, so only EFA nodes carry it, and
# adding or removing an EFA pool never changes (drifts) the security groups of other nodes.
# Created only when some pool uses EFA (var.efa_security_group).
################################################################################

resource "aws_security_group" "efa" {
  count = var.efa_security_group ? 1 : 0
  #checkov:skip=CKV2_AWS_5:Attached by Karpenter, not Terraform: the EC2NodeClasses of EFA pools select it by its infra.platform/efa tag.

  region      = var.region
  name        = "${var.name}-efa"
  description = "EFA traffic between the nodes of the EFA pools of ${var.name}: all traffic to and from this group"
  vpc_id      = aws_eks_cluster.this.vpc_config[0].vpc_id

  tags = merge(var.tags, { Name = "${var.name}-efa", "infra.platform/efa" = var.name })
}

resource "aws_vpc_security_group_ingress_rule" "efa_self" {
  count = var.efa_security_group ? 1 : 0

  region                       = var.region
  security_group_id            = aws_security_group.efa[0].id
  referenced_security_group_id = aws_security_group.efa[0].id
  ip_protocol                  = "-1"
  description                  = "EFA: all traffic from the EFA nodes of ${var.name}"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "efa_self" {
  count = var.efa_security_group ? 1 : 0

  region                       = var.region
  security_group_id            = aws_security_group.efa[0].id
  referenced_security_group_id = aws_security_group.efa[0].id
  ip_protocol                  = "-1"
  description                  = "EFA: all traffic to the EFA nodes of ${var.name}"

  tags = var.tags
}
