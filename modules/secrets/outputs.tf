output "secret_arns" {
  description = "Secret ARNs by name (never values)."
  value       = { for k, v in aws_secretsmanager_secret.this : k => v.arn }
}

output "secret_names" {
  description = "Secret names (<name>/<secret>) by map key."
  value       = { for k, v in aws_secretsmanager_secret.this : k => v.name }
}

output "replica_regions" {
  description = "Regions holding a replica, by secret."
  value       = { for k, v in var.secrets : k => v.replica_regions }
}

output "generated_value_versions" {
  description = "Write-only value version per generated secret (bump value_version to write a new value)."
  value       = { for k, v in aws_secretsmanager_secret_version.generated : k => v.secret_string_wo_version }
}

output "rotation_enabled" {
  description = "Secrets with a rotation function configured."
  value       = sort(keys(aws_secretsmanager_secret_rotation.this))
}
