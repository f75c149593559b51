data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {
  region = var.region
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"

  # Key administration: no cryptographic actions and no kms:CreateGrant (which could hand them
  # out). Named administrators also lack kms:PutKeyPolicy, so they cannot rewrite the policy to
  # give themselves use of the key and therefore cannot read data protected by it. The account
  # root keeps kms:PutKeyPolicy (root_admin_actions) so that the key can never become
  # unmanageable; this means any principal of the account whose IAM policy allows
  # kms:PutKeyPolicy can change the key policy, so restrict that action with IAM / SCPs.
  # kms:ReplicateKey is never granted here: see the ReplicateWithinResidencyZone statement.
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
  ]

  root_admin_actions = concat(local.admin_actions, ["kms:PutKeyPolicy"])

  # Multi-Region keys may only be replicated to the other regions of the residency zone.
  replica_targets = {
    for k, v in local.key_regions : k => [for r in var.zone_regions : r if r != v.region]
  }

  usage_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]

  # One policy document per (key, region): the primary region plus each replica region,
  # because service endpoints (kms:ViaService) and log group ARNs are regional.
  key_regions = merge(
    { for purpose, key in var.keys : "${purpose}/${local.region}" => { purpose = purpose, region = local.region, key = key } },
    merge([
      for purpose, key in var.keys : {
        for r in key.replica_regions : "${purpose}/${r}" => { purpose = purpose, region = r, key = key }
      }
    ]...),
  )

  replicas = { for k, v in local.key_regions : k => v if v.region != local.region }
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:A key policy is attached to one key: Resource "*" means that key only; writes are limited to the account root and named administrators.
  #checkov:skip=CKV_AWS_356:In a KMS key policy Resource "*" refers to the key the policy is attached to; it cannot name the key's own ARN before the key exists.
  for_each = local.key_regions

  statement {
    sid       = "AccountAdministration"
    effect    = "Allow"
    actions   = local.root_admin_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }

  dynamic "statement" {
    for_each = length(setsubtract(var.administrators, [local.root_arn])) > 0 ? [1] : []

    content {
      sid       = "KeyAdministrators"
      effect    = "Allow"
      actions   = local.admin_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = sort(setsubtract(var.administrators, [local.root_arn]))
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.key.multi_region && length(local.replica_targets[each.key]) > 0 ? [1] : []

    content {
      sid       = "ReplicateWithinResidencyZone"
      effect    = "Allow"
      actions   = ["kms:ReplicateKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = distinct(concat([local.root_arn], var.administrators))
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ReplicaRegion"
        values   = local.replica_targets[each.key]
      }
    }
  }

  dynamic "statement" {
    for_each = length(each.value.key.users) > 0 ? [1] : []

    content {
      sid       = "KeyUsers"
      effect    = "Allow"
      actions   = local.usage_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = each.value.key.users
      }
    }
  }

  dynamic "statement" {
    for_each = length(each.value.key.users) > 0 ? [1] : []

    content {
      sid       = "KeyUserGrantsForAwsResources"
      effect    = "Allow"
      actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = each.value.key.users
      }

      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.key.allow_iam_policies ? [1] : []

    content {
      sid       = "UseWhenIamPolicyAllows"
      effect    = "Allow"
      actions   = concat(local.usage_actions, ["kms:ListGrants"])
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }

      # Only the named principals, and only when their own IAM policy allows it. The account
      # root is the principal (KMS does not check that the named roles exist yet), so the key
      # can be created before the roles that use it.
      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = each.value.key.iam_principal_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(each.value.key.via_services) > 0 ? [1] : []

    content {
      sid       = "UseThroughAwsServices"
      effect    = "Allow"
      actions   = concat(local.usage_actions, ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"])
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for s in each.value.key.via_services : "${s}.${each.value.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = contains(each.value.key.service_principals, "logs") ? [1] : []

    content {
      sid       = "CloudWatchLogs"
      effect    = "Allow"
      actions   = local.usage_actions
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${each.value.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:${local.partition}:logs:${each.value.region}:${local.account_id}:*"]
      }
    }
  }

  dynamic "statement" {
    for_each = [for s in each.value.key.service_principals : s if s != "logs"]

    content {
      sid       = "Service${replace(title(replace(statement.value, ".", " ")), " ", "")}"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["${statement.value}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = var.keys

  region                  = var.region
  description             = each.value.description
  key_usage               = "ENCRYPT_DECRYPT"
  multi_region            = each.value.multi_region
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_days
  deletion_window_in_days = var.deletion_window_days
  policy                  = data.aws_iam_policy_document.key["${each.key}/${local.region}"].json

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", purpose = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = var.keys

  region        = var.region
  name          = "alias/${var.name}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}

resource "aws_kms_replica_key" "this" {
  for_each = local.replicas

  region                  = each.value.region
  description             = "${each.value.key.description} (replica of ${local.region})"
  primary_key_arn         = aws_kms_key.this[each.value.purpose].arn
  deletion_window_in_days = var.deletion_window_days
  policy                  = data.aws_iam_policy_document.key[each.key].json

  tags = merge(var.tags, { Name = "${var.name}-${each.value.purpose}", purpose = each.value.purpose })
}

resource "aws_kms_alias" "replica" {
  for_each = local.replicas

  region        = each.value.region
  name          = "alias/${var.name}-${each.value.purpose}"
  target_key_id = aws_kms_replica_key.this[each.key].key_id
}
