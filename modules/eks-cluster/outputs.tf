output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64-encoded certificate authority data of the cluster."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_version" {
  description = "Kubernetes version of the control plane."
  value       = aws_eks_cluster.this.version
}

output "cluster_security_group_id" {
  description = "ID of the security group EKS created for the cluster (tagged for Karpenter discovery)."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "efa_security_group_id" {
  description = "ID of the EFA security group (null when efa_security_group is false)."
  value       = one(aws_security_group.efa[*].id)
}

output "cluster_role_arn" {
  description = "ARN of the IAM role of the control plane."
  value       = aws_iam_role.cluster.arn
}

output "system_node_role_arn" {
  description = "ARN of the IAM role of the system node group."
  value       = aws_iam_role.system_node.arn
}

output "system_node_group_name" {
  description = "Name of the system node group."
  value       = aws_eks_node_group.system.node_group_name
}

output "log_group_name" {
  description = "Name of the control-plane log group."
  value       = aws_cloudwatch_log_group.cluster.name
}

output "addon_versions" {
  description = "Add-on versions in use (pinned or resolved to the most recent), by add-on name."
  value       = local.addon_versions
}

output "addon_role_arns" {
  description = "Pod Identity role ARNs of the add-ons, by add-on name."
  value       = { for k, v in aws_iam_role.addon : k => v.arn }
}

output "access_entry_arns" {
  description = "Access entry ARNs by entry name."
  value       = { for k, v in aws_eks_access_entry.this : k => v.access_entry_arn }
}
