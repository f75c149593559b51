output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = module.eks.cluster_endpoint
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = module.eks.cluster_arn
}

output "cluster_certificate_authority_data" {
  description = "Base64-encoded certificate authority data of the cluster."
  value       = module.eks.cluster_certificate_authority_data
}

output "cluster_role_arn" {
  description = "ARN of the control plane IAM role."
  value       = module.eks.cluster_role_arn
}

output "addon_versions" {
  description = "EKS add-on versions in use."
  value       = module.eks.addon_versions
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnet IDs."
  value       = module.network.private_subnet_ids
}

output "kms_key_arns" {
  description = "KMS key ARNs by purpose."
  value       = module.kms.key_arns
}

output "kms_alias_names" {
  description = "KMS alias names by purpose."
  value       = module.kms.alias_names
}

output "kms_replica_key_arns" {
  description = "KMS replica key ARNs by purpose and region."
  value       = module.kms.replica_key_arns
}

output "secret_arns" {
  description = "Secrets Manager secret ARNs by name (never values)."
  value       = module.secrets.secret_arns
}

output "karpenter_node_role_name" {
  description = "IAM role name of Karpenter nodes (<name>-karpenter-node)."
  value       = module.karpenter.node_role_name
}

output "karpenter_controller_role_arn" {
  description = "ARN of the Karpenter controller role (EKS Pod Identity)."
  value       = module.karpenter.controller_role_arn
}

output "karpenter_queue_name" {
  description = "Name of the Karpenter interruption queue."
  value       = module.karpenter.queue_name
}

output "karpenter_nodepools" {
  description = "Karpenter v1 NodePool objects."
  value       = module.karpenter.nodepools
}

output "karpenter_ec2nodeclasses" {
  description = "Karpenter v1 EC2NodeClass objects."
  value       = module.karpenter.ec2nodeclasses
}

output "karpenter_manifests_yaml" {
  description = "NodePools and EC2NodeClasses as YAML, for GitOps review."
  value = {
    nodepools      = module.karpenter.nodepools_yaml
    ec2nodeclasses = module.karpenter.ec2nodeclasses_yaml
  }
}

output "karpenter_helm_values" {
  description = "Helm values for the Karpenter chart."
  value       = module.karpenter.helm_values
}

output "karpenter_charts" {
  description = "Karpenter charts to install in order (CRDs first), pinned."
  value       = module.karpenter.charts
}
