variable "region" {
  description = "AWS region of the primary secrets."
  type        = string
  default     = "eu-central-1"
}

module "kms" {
  source = "../../../kms"

  name         = "example-eu-central"
  zone_regions = ["eu-central-1", "eu-west-1"]
  keys = {
    secrets-manager = {
      description     = "Secrets Manager"
      multi_region    = true
      replica_regions = ["eu-west-1"]
      via_services    = ["secretsmanager"]
    }
  }
}

module "secrets" {
  source = "../.."

  name                 = "example-eu-central"
  zone_regions         = ["eu-central-1", "eu-west-1"]
  kms_key_arn          = module.kms.key_arns["secrets-manager"]
  replica_kms_key_arns = module.kms.replica_key_arns["secrets-manager"]

  secrets = {
    grafana-admin = {
      description     = "Grafana admin password (generated, never in state)"
      replica_regions = ["eu-west-1"]
    }
    api-token = {
      description = "Token written out of band"
      generate    = false
    }
  }
}

output "secret_arns" {
  description = "Secret ARNs by name."
  value       = module.secrets.secret_arns
}
