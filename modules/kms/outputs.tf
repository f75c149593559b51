output "key_arns" {
  description = "Primary key ARNs by purpose."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}

output "key_ids" {
  description = "Primary key IDs by purpose."
  value       = { for k, v in aws_kms_key.this : k => v.key_id }
}

output "alias_names" {
  description = "Alias names by purpose (alias/<name>-<purpose>, the same in every region that holds the key)."
  value       = { for k, v in aws_kms_alias.this : k => v.name }
}

output "alias_arns" {
  description = "Primary-region alias ARNs by purpose."
  value       = { for k, v in aws_kms_alias.this : k => v.arn }
}

output "replica_key_arns" {
  description = "Replica key ARNs by purpose, then by region."
  value = {
    for purpose in keys(var.keys) : purpose => {
      for k, v in local.replicas : v.region => aws_kms_replica_key.this[k].arn if v.purpose == purpose
    }
  }
}
