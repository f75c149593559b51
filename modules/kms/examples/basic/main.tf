variable "region" {
  description = "AWS region of the primary keys."
  type        = string
  default     = "us-east-1"
}

module "kms" {
  source = "../.."

  name                 = "example-us-east"
  zone_regions         = ["us-east-1", "us-east-2", "us-west-2"]
  deletion_window_days = 7

  keys = {
    logs = {
      description        = "CloudWatch Logs"
      service_principals = ["logs"]
    }
    secrets-manager = {
      description     = "Secrets Manager, replicated inside the US zone"
      multi_region    = true
      replica_regions = ["us-west-2"]
      via_services    = ["secretsmanager"]
    }
  }
}

output "key_arns" {
  description = "Primary key ARNs by purpose."
  value       = module.kms.key_arns
}

output "replica_key_arns" {
  description = "Replica key ARNs by purpose and region."
  value       = module.kms.replica_key_arns
}
