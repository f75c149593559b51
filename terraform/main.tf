data "aws_partition" "current" {}

locals {
  # How each key purpose may be used. Keys are never usable by "*": principals of this account
  # use them through the named AWS services, CloudWatch Logs only for this account's groups,
  # and the EKS control plane through its role's IAM policy (scoped to the key). The eks-secrets
  # key admits only the cluster role (account root principal + aws:PrincipalArn condition, so the
  # key can be created before the role; the name is fixed by modules/eks-cluster).
  # EBS: EC2 Auto Scaling launches the system nodes with its service-linked role, which has no
  # KMS permission of its own and whose IAM policy cannot be extended, so the key policy must
  # name it directly as principal (an aws:PrincipalArn condition on the root principal would
  # still need an IAM allow); KMS validates that principal, so the role must exist: see README.
  eks_cluster_role = "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:role/${var.name}-eks-cluster"
  autoscaling_role = "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
  kms_key_usage = {
    "eks-secrets"     = { via_services = [], service_principals = [], users = [], allow_iam_policies = true, iam_principal_arns = [local.eks_cluster_role] }
    "logs"            = { via_services = [], service_principals = ["logs"], users = [], allow_iam_policies = false, iam_principal_arns = [] }
    "ebs"             = { via_services = ["ec2"], service_principals = [], users = [local.autoscaling_role], allow_iam_policies = false, iam_principal_arns = [] }
    "secrets-manager" = { via_services = ["secretsmanager"], service_principals = [], users = [], allow_iam_policies = false, iam_principal_arns = [] }
    "state"           = { via_services = ["s3", "dynamodb"], service_principals = [], users = [], allow_iam_policies = false, iam_principal_arns = [] }
  }
  kms_default_usage = { via_services = [], service_principals = [], users = [], allow_iam_policies = false, iam_principal_arns = [] }
}

module "kms" {
  source = "../modules/kms"

  name                 = var.name
  zone_regions         = var.zone_regions
  deletion_window_days = var.kms.deletion_window_days
  rotation_period_days = var.kms.rotation_period_days
  administrators       = var.kms.administrators

  keys = {
    for purpose, key in var.kms.keys : purpose => {
      description        = key.description
      multi_region       = key.multi_region
      replica_regions    = key.replica_regions
      users              = lookup(local.kms_key_usage, purpose, local.kms_default_usage).users
      allow_iam_policies = lookup(local.kms_key_usage, purpose, local.kms_default_usage).allow_iam_policies
      iam_principal_arns = lookup(local.kms_key_usage, purpose, local.kms_default_usage).iam_principal_arns
      via_services       = lookup(local.kms_key_usage, purpose, local.kms_default_usage).via_services
      service_principals = lookup(local.kms_key_usage, purpose, local.kms_default_usage).service_principals
    }
  }
}

module "network" {
  source = "../modules/network"

  name                    = var.name
  cluster_name            = var.name
  cidr                    = var.network.cidr
  az_count                = var.network.az_count
  nat_gateway_mode        = var.network.nat_gateway_mode
  flow_log_retention_days = var.network.flow_log_retention_days
  flow_log_kms_key_arn    = module.kms.key_arns["logs"]
}

module "secrets" {
  source = "../modules/secrets"

  name                 = var.name
  zone_regions         = var.zone_regions
  kms_key_arn          = module.kms.key_arns["secrets-manager"]
  replica_kms_key_arns = module.kms.replica_key_arns["secrets-manager"]
  secrets = {
    for name, secret in var.secrets : name => {
      description         = secret.description
      generate            = secret.generate
      length              = secret.length
      exclude_punctuation = secret.exclude_punctuation
      rotation_days       = secret.rotation_days
      rotation_schedule   = secret.rotation_schedule
      rotation_lambda_arn = secret.rotation_lambda_arn
      replica_regions     = secret.replica_regions
      value_version       = secret.value_version
    }
  }
}

module "eks" {
  source = "../modules/eks-cluster"

  name                   = var.name
  kubernetes_version     = var.eks.kubernetes_version
  subnet_ids             = module.network.private_subnet_ids
  endpoint_public_access = var.eks.endpoint_public_access
  public_access_cidrs    = var.eks.public_access_cidrs
  log_retention_days     = var.eks.log_retention_days
  deletion_protection    = var.eks.deletion_protection
  secrets_kms_key_arn    = module.kms.key_arns["eks-secrets"]
  logs_kms_key_arn       = module.kms.key_arns["logs"]
  ebs_kms_key_arn        = module.kms.key_arns["ebs"]
  system_node_group      = var.eks.system_node_group
  addons                 = var.eks.addons
  access_entries         = var.eks.access_entries
  # Node health: the node monitoring agent add-on (Karpenter's NodeRepair gate is in its Helm values).
  node_monitoring_agent = var.karpenter.node_health.monitoring_agent
  # The EFA security group, for the EC2NodeClasses of EFA pools (modules/karpenter selects it by tag).
  efa_security_group = anytrue([for p in values(var.karpenter.pools) : try(p.efa.enabled, false)])
}
