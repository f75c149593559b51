data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {
  region = var.region
}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy"
  # Known before the cluster exists, so trust policies can name it without a dependency cycle.
  cluster_arn = "arn:${local.partition}:eks:${data.aws_region.current.region}:${local.account_id}:cluster/${var.name}"
}

# IAM is global: every role name starts with var.name, which the root stack makes
# region-qualified ("<env>-<region_key>"), so one cluster name per region never collides.

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-eks-cluster"
  description        = "EKS control plane of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "${local.policy_arn}/AmazonEKSClusterPolicy"
}

data "aws_iam_policy_document" "cluster_kms" {
  statement {
    sid       = "SecretsEnvelopeEncryption"
    effect    = "Allow"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [var.secrets_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "cluster_kms" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_kms.json
}

data "aws_iam_policy_document" "node_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "system_node" {
  name               = "${var.name}-eks-system-node"
  description        = "System node group of EKS cluster ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "system_node" {
  for_each = toset(["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"])

  role       = aws_iam_role.system_node.name
  policy_arn = "${local.policy_arn}/${each.value}"
}

# EKS Pod Identity roles for the add-ons that call AWS APIs.
locals {
  pod_identity_addons = {
    for addon, cfg in {
      "vpc-cni" = {
        service_account = "aws-node"
        namespace       = "kube-system"
        policies        = ["AmazonEKS_CNI_Policy"]
      }
      "aws-ebs-csi-driver" = {
        service_account = "ebs-csi-controller-sa"
        namespace       = "kube-system"
        policies        = ["service-role/AmazonEBSCSIDriverPolicy"]
      }
    } : addon => cfg if contains(keys(var.addons), addon)
  }

  pod_identity_attachments = merge([
    for addon, cfg in local.pod_identity_addons : {
      for p in cfg.policies : "${addon}/${p}" => { addon = addon, policy = p }
    }
  ]...)
}

# One trust policy per add-on: EKS Pod Identity passes session tags (hence sts:TagSession)
# naming the cluster, namespace and service account of the pod, and the role only trusts the
# add-on's own service account in this cluster. Without these conditions any Pod Identity
# association in the account could hand the role to any pod.
data "aws_iam_policy_document" "pod_identity_assume" {
  for_each = local.pod_identity_addons

  statement {
    sid     = "EksPodIdentity"
    effect  = "Allow"
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/eks-cluster-arn"
      values   = [local.cluster_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/kubernetes-namespace"
      values   = [each.value.namespace]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/kubernetes-service-account"
      values   = [each.value.service_account]
    }
  }
}

resource "aws_iam_role" "addon" {
  for_each = local.pod_identity_addons

  name               = "${var.name}-${each.key}"
  description        = "Pod Identity role of the ${each.key} add-on of EKS cluster ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume[each.key].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "addon" {
  for_each = local.pod_identity_attachments

  role       = aws_iam_role.addon[each.value.addon].name
  policy_arn = "${local.policy_arn}/${each.value.policy}"
}

data "aws_iam_policy_document" "ebs_csi_kms" {
  statement {
    sid       = "UseEbsKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = [var.ebs_kms_key_arn]
  }

  statement {
    sid       = "GrantsForAttachedVolumes"
    effect    = "Allow"
    actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    resources = [var.ebs_kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
}

resource "aws_iam_role_policy" "ebs_csi_kms" {
  count = contains(keys(local.pod_identity_addons), "aws-ebs-csi-driver") ? 1 : 0

  name   = "ebs-kms"
  role   = aws_iam_role.addon["aws-ebs-csi-driver"].id
  policy = data.aws_iam_policy_document.ebs_csi_kms.json
}
