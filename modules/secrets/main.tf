data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  generated  = { for k, v in var.secrets : k => v if v.generate }
  rotated    = { for k, v in var.secrets : k => v if v.rotation_lambda_arn != null }
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Rotation needs the caller's own Lambda (rotation_lambda_arn); a secret without one is static by choice and is rotated by bumping value_version.
  for_each = var.secrets

  region                  = var.region
  name                    = "${var.name}/${each.key}"
  description             = each.value.description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days

  dynamic "replica" {
    for_each = toset(each.value.replica_regions)

    content {
      region     = replica.value
      kms_key_id = lookup(var.replica_kms_key_arns, replica.value, null)
    }
  }

  tags = merge(var.tags, { Name = "${var.name}/${each.key}" })

  lifecycle {
    precondition {
      condition     = alltrue([for r in each.value.replica_regions : contains(keys(var.replica_kms_key_arns), r)])
      error_message = "Secret ${each.key}: every replica region needs a KMS key in replica_kms_key_arns."
    }
  }
}

# Generated values exist only during the run: the ephemeral resource is never stored, and
# secret_string_wo is a write-only argument (neither in plan nor in state).
ephemeral "aws_secretsmanager_random_password" "this" {
  for_each = local.generated

  region                     = var.region
  password_length            = each.value.length
  exclude_punctuation        = each.value.exclude_punctuation
  require_each_included_type = true
}

resource "aws_secretsmanager_secret_version" "generated" {
  for_each = local.generated

  region                   = var.region
  secret_id                = aws_secretsmanager_secret.this[each.key].id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.this[each.key].random_password
  secret_string_wo_version = each.value.value_version
}

resource "aws_secretsmanager_secret_rotation" "this" {
  #checkov:skip=CKV_AWS_304:The period comes from var.secrets, whose validation limits rotation_days to 1-90 and rate() schedules to 90 days; checkov cannot resolve for_each values.
  for_each = local.rotated

  region              = var.region
  secret_id           = aws_secretsmanager_secret.this[each.key].id
  rotation_lambda_arn = each.value.rotation_lambda_arn

  rotation_rules {
    automatically_after_days = each.value.rotation_days
    schedule_expression      = each.value.rotation_schedule
  }

  depends_on = [aws_secretsmanager_secret_version.generated]
}

data "aws_iam_policy_document" "secret" {
  for_each = var.secrets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["secretsmanager:*"]
    resources = ["*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOtherAccounts"
    effect    = "Deny"
    actions   = ["secretsmanager:*"]
    resources = ["*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }

    # AWS services acting for this account (replication, rotation) carry no principal account.
    condition {
      test     = "Bool"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = length(var.allowed_principal_arns) > 0 ? [1] : []

    content {
      sid       = "AllowReaders"
      effect    = "Allow"
      actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.allowed_principal_arns
      }
    }
  }
}

resource "aws_secretsmanager_secret_policy" "this" {
  for_each = var.secrets

  region              = var.region
  secret_arn          = aws_secretsmanager_secret.this[each.key].arn
  policy              = data.aws_iam_policy_document.secret[each.key].json
  block_public_policy = true
}
