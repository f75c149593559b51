# terraform test (command = plan): one run per rule. Needs the AWS provider; in CI the
# toolkit's sandbox provider answers offline.

provider "aws" {
  region = "us-east-1"
}

variables {
  name         = "prod-us-east"
  zone_regions = ["us-east-1", "us-east-2", "us-west-2"]
  keys = {
    logs = {
      description        = "CloudWatch Logs"
      service_principals = ["logs"]
    }
    ebs = {
      description  = "EBS volumes"
      via_services = ["ec2"]
    }
    secrets-manager = {
      description     = "Secrets Manager"
      multi_region    = true
      replica_regions = ["us-west-2"]
      via_services    = ["secretsmanager"]
    }
  }
}

run "keys_rotate_and_wait_before_deletion" {
  command = plan

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.enable_key_rotation && k.rotation_period_in_days == 365])
    error_message = "Every key must rotate (365 days by default)."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.deletion_window_in_days == 30])
    error_message = "The default deletion window must be 30 days."
  }
}

run "aliases_are_name_qualified" {
  command = plan

  assert {
    condition     = aws_kms_alias.this["ebs"].name == "alias/prod-us-east-ebs"
    error_message = "Aliases must be alias/<name>-<purpose>."
  }

  assert {
    condition     = aws_kms_alias.replica["secrets-manager/us-west-2"].name == "alias/prod-us-east-secrets-manager"
    error_message = "Replica aliases must carry the same name as the primary."
  }
}

run "replicas_only_where_asked_and_in_zone" {
  command = plan

  assert {
    condition     = length(aws_kms_replica_key.this) == 1 && aws_kms_replica_key.this["secrets-manager/us-west-2"].region == "us-west-2"
    error_message = "Exactly one replica, in us-west-2."
  }

  assert {
    condition     = aws_kms_key.this["secrets-manager"].multi_region && !aws_kms_key.this["ebs"].multi_region
    error_message = "Only keys that ask for it are multi-Region."
  }
}

run "policy_has_no_wildcard_principal_or_kms_star" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for doc in data.aws_iam_policy_document.key : [
        for s in jsondecode(doc.json).Statement : !contains(flatten([s.Action]), "kms:*")
      ]
    ]))
    error_message = "No key policy statement may grant kms:*."
  }

  assert {
    condition = alltrue(flatten([
      for doc in data.aws_iam_policy_document.key : [
        for s in jsondecode(doc.json).Statement : s.Principal != "*" && !contains(flatten([try(s.Principal.AWS, [])]), "*")
      ]
    ]))
    error_message = "No key policy statement may name a * principal."
  }

  assert {
    condition = alltrue([
      for doc in data.aws_iam_policy_document.key : alltrue([
        for s in jsondecode(doc.json).Statement : length(setintersection(toset(flatten([s.Action])), toset(["kms:CreateGrant", "kms:Decrypt", "kms:Create*", "kms:*"]))) == 0
        if s.Sid == "AccountAdministration"
      ])
    ])
    error_message = "Administrators must not hold cryptographic actions or kms:CreateGrant."
  }

  assert {
    condition     = strcontains(data.aws_iam_policy_document.key["logs/us-east-1"].json, "logs.us-east-1.amazonaws.com")
    error_message = "The logs key must allow the regional CloudWatch Logs principal."
  }

  assert {
    condition     = strcontains(data.aws_iam_policy_document.key["secrets-manager/us-west-2"].json, "secretsmanager.us-west-2.amazonaws.com")
    error_message = "A replica's policy must name the service endpoint of the replica's region."
  }
}

run "users_and_iam_delegation_are_opt_in" {
  command = plan

  variables {
    keys = {
      ebs = {
        description = "EBS volumes"
        users       = ["arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"]
      }
      eks-secrets = {
        description        = "EKS secrets"
        allow_iam_policies = true
        iam_principal_arns = ["arn:aws:iam::123456789012:role/prod-us-east-eks-cluster"]
      }
      plain = {
        description = "Administration only"
      }
    }
  }

  assert {
    condition     = [for s in jsondecode(data.aws_iam_policy_document.key["plain/us-east-1"].json).Statement : s.Sid] == ["AccountAdministration"]
    error_message = "A key without users, services or delegation must only be administrable."
  }

  assert {
    condition = length([for s in jsondecode(data.aws_iam_policy_document.key["ebs/us-east-1"].json).Statement : s
    if s.Sid == "KeyUserGrantsForAwsResources" && s.Condition.Bool["kms:GrantIsForAWSResource"] == "true"]) == 1
    error_message = "Key users may only create grants for AWS resources."
  }

  assert {
    condition = length([for s in jsondecode(data.aws_iam_policy_document.key["eks-secrets/us-east-1"].json).Statement : s
    if s.Sid == "UseWhenIamPolicyAllows" && !contains(flatten([s.Action]), "kms:CreateGrant")]) == 1
    error_message = "IAM delegation must grant usage actions only."
  }

  assert {
    condition = length([for s in jsondecode(data.aws_iam_policy_document.key["eks-secrets/us-east-1"].json).Statement : s
      if s.Sid == "UseWhenIamPolicyAllows" && s.Principal.AWS == "arn:aws:iam::123456789012:root"
    && s.Condition.ArnEquals["aws:PrincipalArn"] == "arn:aws:iam::123456789012:role/prod-us-east-eks-cluster"]) == 1
    error_message = "IAM delegation must be limited to the named principals (aws:PrincipalArn), with the root as principal."
  }
}

run "replication_stays_in_the_residency_zone" {
  command = plan

  variables {
    administrators = ["arn:aws:iam::123456789012:role/kms-admin"]
  }

  assert {
    condition = alltrue(flatten([
      for doc in data.aws_iam_policy_document.key : [
        for s in jsondecode(doc.json).Statement : !contains(flatten([s.Action]), "kms:ReplicateKey")
        if s.Sid != "ReplicateWithinResidencyZone"
      ]
    ]))
    error_message = "kms:ReplicateKey may only appear in the ReplicateWithinResidencyZone statement."
  }

  assert {
    condition = jsonencode([for s in jsondecode(data.aws_iam_policy_document.key["secrets-manager/us-east-1"].json).Statement :
      sort(s.Condition.StringEquals["kms:ReplicaRegion"]) if s.Sid == "ReplicateWithinResidencyZone"
    ]) == jsonencode([["us-east-2", "us-west-2"]])
    error_message = "The primary may only be replicated to the other zone regions (not its own)."
  }

  assert {
    condition = jsonencode([for s in jsondecode(data.aws_iam_policy_document.key["secrets-manager/us-west-2"].json).Statement :
      sort(s.Condition.StringEquals["kms:ReplicaRegion"]) if s.Sid == "ReplicateWithinResidencyZone"
    ]) == jsonencode([["us-east-1", "us-east-2"]])
    error_message = "A replica (if promoted) may only be replicated to the other zone regions."
  }

  assert {
    condition     = length([for s in jsondecode(data.aws_iam_policy_document.key["ebs/us-east-1"].json).Statement : s if s.Sid == "ReplicateWithinResidencyZone"]) == 0
    error_message = "Single-Region keys get no replication statement."
  }

  assert {
    condition = alltrue([
      for doc in data.aws_iam_policy_document.key : alltrue([
        for s in jsondecode(doc.json).Statement : !contains(flatten([s.Action]), "kms:PutKeyPolicy") && !contains(flatten([s.Action]), "kms:Put*")
        if s.Sid == "KeyAdministrators"
      ])
    ])
    error_message = "Named administrators must not be able to rewrite the key policy."
  }

  assert {
    condition = alltrue([
      for doc in data.aws_iam_policy_document.key : length([
        for s in jsondecode(doc.json).Statement : s
        if s.Sid == "KeyAdministrators" && s.Principal.AWS == "arn:aws:iam::123456789012:role/kms-admin"
      ]) == 1
    ])
    error_message = "Every key policy must name the administrators in KeyAdministrators."
  }

  assert {
    condition = alltrue([
      for doc in data.aws_iam_policy_document.key : length([
        for s in jsondecode(doc.json).Statement : s
        if s.Sid == "AccountAdministration" && contains(flatten([s.Action]), "kms:PutKeyPolicy") && s.Principal.AWS == "arn:aws:iam::123456789012:root"
      ]) == 1
    ])
    error_message = "The account root must keep kms:PutKeyPolicy so the key never becomes unmanageable."
  }
}

run "rejects_iam_delegation_without_principals" {
  command = plan

  variables {
    keys = {
      eks-secrets = { description = "EKS secrets", allow_iam_policies = true }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_wildcard_iam_principal" {
  command = plan

  variables {
    keys = {
      eks-secrets = { description = "EKS secrets", allow_iam_policies = true, iam_principal_arns = ["arn:aws:iam::123456789012:role/*"] }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_replica_outside_zone" {
  command = plan

  variables {
    keys = {
      state = { description = "state", multi_region = true, replica_regions = ["eu-west-1"] }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_replica_without_multi_region" {
  command = plan

  variables {
    keys = {
      state = { description = "state", replica_regions = ["us-west-2"] }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_replica_in_own_region" {
  command = plan

  variables {
    region = "us-east-1"
    keys = {
      state = { description = "state", multi_region = true, replica_regions = ["us-east-1"] }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_duplicate_replica_region" {
  command = plan

  variables {
    keys = {
      state = { description = "state", multi_region = true, replica_regions = ["us-west-2", "us-west-2"] }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_wildcard_user" {
  command = plan

  variables {
    keys = {
      state = { description = "state", users = ["*"] }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_unknown_service_principal" {
  command = plan

  variables {
    keys = {
      state = { description = "state", service_principals = ["s3"] }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_bad_purpose_name" {
  command = plan

  variables {
    keys = {
      "Bad_Purpose" = { description = "state" }
    }
  }

  expect_failures = [var.keys]
}

run "rejects_empty_keys" {
  command = plan

  variables {
    keys = {}
  }

  expect_failures = [var.keys]
}

run "rejects_short_deletion_window" {
  command = plan

  variables {
    deletion_window_days = 6
  }

  expect_failures = [var.deletion_window_days]
}

run "rejects_short_rotation_period" {
  command = plan

  variables {
    rotation_period_days = 30
  }

  expect_failures = [var.rotation_period_days]
}

run "rejects_non_iam_administrator" {
  command = plan

  variables {
    administrators = ["*"]
  }

  expect_failures = [var.administrators]
}

run "rejects_bad_name" {
  command = plan

  variables {
    name = "bad name!"
  }

  expect_failures = [var.name]
}
