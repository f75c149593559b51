output "node_role_name" {
  description = "Name of the IAM role of Karpenter nodes (EC2NodeClass spec.role)."
  value       = aws_iam_role.node.name
}

output "node_role_arn" {
  description = "ARN of the IAM role of Karpenter nodes."
  value       = aws_iam_role.node.arn
}

output "controller_role_arn" {
  description = "ARN of the controller role bound to the karpenter service account through EKS Pod Identity."
  value       = aws_iam_role.controller.arn
}

output "controller_policy_arn" {
  description = "ARN of the scoped Karpenter v1 controller policy."
  value       = aws_iam_policy.controller.arn
}

output "queue_name" {
  description = "Name of the interruption queue (Helm settings.interruptionQueue)."
  value       = aws_sqs_queue.interruption.name
}

output "queue_arn" {
  description = "ARN of the interruption queue."
  value       = aws_sqs_queue.interruption.arn
}

output "event_rule_names" {
  description = "EventBridge rule names by event (spot-interruption, rebalance, state-change, scheduled-change, capacity-reservation)."
  value       = { for k, r in aws_cloudwatch_event_rule.interruption : k => r.name }
}

output "placement_group_names" {
  description = "Cluster placement groups the module created for EFA pools, by pool name."
  value       = { for k, g in aws_placement_group.efa : k => g.name }
}

output "nodepools" {
  description = "Karpenter v1 NodePool objects (karpenter.sh/v1), sorted by name."
  value       = local.nodepools
}

output "ec2nodeclasses" {
  description = "Karpenter v1 EC2NodeClass objects (karpenter.k8s.aws/v1), one per pool, sorted by name."
  value       = local.ec2nodeclasses
}

output "nodepools_yaml" {
  description = "The NodePools as one multi-document YAML string."
  value       = join("", [for o in local.nodepools : "---\n${yamlencode(o)}"])
}

output "ec2nodeclasses_yaml" {
  description = "The EC2NodeClasses as one multi-document YAML string."
  value       = join("", [for o in local.ec2nodeclasses : "---\n${yamlencode(o)}"])
}

output "helm_values" {
  description = "Values for the karpenter chart (settings, serviceAccount for Pod Identity)."
  value       = local.helm_values
}

output "helm_values_yaml" {
  description = "The Helm values as YAML."
  value       = yamlencode(local.helm_values)
}

output "charts" {
  description = "Charts to install in order (karpenter-crd first), pinned to karpenter.chart_version."
  value       = local.charts
}
