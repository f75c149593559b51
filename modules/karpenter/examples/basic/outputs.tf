output "nodepools" {
  description = "NodePool objects."
  value       = module.karpenter.nodepools
}

output "ec2nodeclasses" {
  description = "EC2NodeClass objects."
  value       = module.karpenter.ec2nodeclasses
}

output "helm_values_yaml" {
  description = "Values for the karpenter chart."
  value       = module.karpenter.helm_values_yaml
}

output "node_role_name" {
  description = "Node IAM role name."
  value       = module.karpenter.node_role_name
}
