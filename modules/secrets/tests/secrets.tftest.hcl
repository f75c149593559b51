# terraform test (command = plan): one run per rule.

provider "aws" {
  region = "eu-central-1"
}

variables {
  name                 = "prod-eu-central"
  zone_regions         = ["eu-central-1", "eu-west-1"]
  kms_key_arn          = "arn:aws:kms:eu-central-1:123456789012:key/mrk-1111aaaa2222bbbb3333cccc4444dddd"
  replica_kms_key_arns = { "eu-west-1" = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1111aaaa2222bbbb3333cccc4444dddd" }
  secrets = {
    grafana-admin = {
      description     = "Grafana admin password"
      replica_regions = ["eu-west-1"]
    }
    db-master = {
      description         = "Database master password"
      length              = 40
      rotation_days       = 30
      rotation_lambda_arn = "arn:aws:lambda:eu-central-1:123456789012:function:rotate-db"
    }
    api-token = {
      description = "Written out of band"
      generate    = false
    }
  }
}

run "names_are_prefixed_and_encrypted_with_the_cmk" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.this["grafana-admin"].name == "prod-eu-central/grafana-admin"
    error_message = "Secrets must be named <name>/<secret>."
  }

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.kms_key_id == var.kms_key_arn && s.recovery_window_in_days == 30])
    error_message = "Every secret must use the module's CMK and a 30-day recovery window."
  }
}

run "generated_values_are_write_only" {
  command = plan

  assert {
    condition     = length(aws_secretsmanager_secret_version.generated) == 2 && !contains(keys(aws_secretsmanager_secret_version.generated), "api-token")
    error_message = "Only generated secrets get a Terraform-managed version."
  }

  assert {
    condition     = alltrue([for v in aws_secretsmanager_secret_version.generated : v.secret_string == null && v.secret_string_wo_version == 1])
    error_message = "Values must be written with secret_string_wo only (secret_string stays null)."
  }
}

run "replicas_stay_in_zone_with_their_key" {
  command = plan

  assert {
    condition     = [for r in aws_secretsmanager_secret.this["grafana-admin"].replica : r.region] == ["eu-west-1"]
    error_message = "grafana-admin must have one replica, in eu-west-1."
  }

  assert {
    condition     = [for r in aws_secretsmanager_secret.this["grafana-admin"].replica : r.kms_key_id] == [var.replica_kms_key_arns["eu-west-1"]]
    error_message = "The replica must be encrypted with the replica region's key."
  }
}

run "rotation_uses_the_given_lambda" {
  command = plan

  assert {
    condition     = keys(aws_secretsmanager_secret_rotation.this) == ["db-master"]
    error_message = "Only db-master rotates."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this["db-master"].rotation_rules[0].automatically_after_days == 30
    error_message = "db-master rotates every 30 days."
  }
}

run "policy_denies_insecure_transport_and_other_accounts" {
  command = plan

  assert {
    condition     = alltrue([for p in aws_secretsmanager_secret_policy.this : p.block_public_policy])
    error_message = "block_public_policy must be on."
  }

  assert {
    condition = alltrue([for d in data.aws_iam_policy_document.secret : length([
      for s in jsondecode(d.json).Statement : s if s.Effect == "Deny" && contains(["DenyInsecureTransport", "DenyOtherAccounts"], s.Sid)
    ]) == 2])
    error_message = "Each secret policy must deny non-TLS requests and other accounts."
  }

  assert {
    condition     = alltrue([for d in data.aws_iam_policy_document.secret : !strcontains(d.json, "\"Allow\"")])
    error_message = "Without allowed_principal_arns the policy grants nothing."
  }
}

run "rejects_replica_outside_zone" {
  command = plan

  variables {
    secrets = {
      leak = { description = "x", replica_regions = ["us-east-1"] }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_rotation_without_lambda" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", rotation_days = 30 }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_lambda_without_period" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", rotation_lambda_arn = "arn:aws:lambda:eu-central-1:123456789012:function:rotate" }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_days_and_schedule_together" {
  command = plan

  variables {
    secrets = {
      x = {
        description         = "x"
        rotation_days       = 30
        rotation_schedule   = "rate(30 days)"
        rotation_lambda_arn = "arn:aws:lambda:eu-central-1:123456789012:function:rotate"
      }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_rotation_over_90_days" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", rotation_days = 180, rotation_lambda_arn = "arn:aws:lambda:eu-central-1:123456789012:function:rotate" }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_rate_schedule_over_90_days" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", rotation_schedule = "rate(120 days)", rotation_lambda_arn = "arn:aws:lambda:eu-central-1:123456789012:function:rotate" }
    }
  }

  expect_failures = [var.secrets]
}

run "accepts_cron_schedule" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", rotation_schedule = "cron(0 4 ? * SUN *)", rotation_lambda_arn = "arn:aws:lambda:eu-central-1:123456789012:function:rotate" }
    }
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.this["x"].rotation_rules[0].schedule_expression == "cron(0 4 ? * SUN *)"
    error_message = "A cron schedule must pass through."
  }
}

run "rejects_bad_lambda_arn" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", rotation_days = 30, rotation_lambda_arn = "rotate-db" }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_short_password" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", length = 8 }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_bad_secret_name" {
  command = plan

  variables {
    secrets = {
      "bad name" = { description = "x" }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_zero_value_version" {
  command = plan

  variables {
    secrets = {
      x = { description = "x", value_version = 0 }
    }
  }

  expect_failures = [var.secrets]
}

run "rejects_non_kms_key" {
  command = plan

  variables {
    kms_key_arn = "alias/aws/secretsmanager"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_short_recovery_window" {
  command = plan

  variables {
    recovery_window_days = 0
  }

  expect_failures = [var.recovery_window_days]
}

run "replica_without_key_fails_precondition" {
  command = plan

  variables {
    replica_kms_key_arns = {}
  }

  expect_failures = [aws_secretsmanager_secret.this["grafana-admin"]]
}
