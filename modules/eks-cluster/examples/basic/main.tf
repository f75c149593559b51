variable "region" {
  description = "AWS region of the cluster."
  type        = string
  default     = "us-east-1"
}

module "kms" {
  source = "../../../kms"

  name = "example-us-east"
  keys = {
    eks-secrets = { description = "EKS secrets", via_services = ["eks"] }
    logs        = { description = "Logs", service_principals = ["logs"] }
    ebs         = { description = "EBS volumes", via_services = ["ec2"] }
  }
}

module "network" {
  source = "../../../network"

  name                 = "example-us-east"
  az_count             = 2
  nat_gateway_mode     = "single"
  flow_log_kms_key_arn = module.kms.key_arns["logs"]
}

module "eks" {
  source = "../.."

  name                = "example-us-east"
  kubernetes_version  = "1.33"
  subnet_ids          = module.network.private_subnet_ids
  deletion_protection = false
  secrets_kms_key_arn = module.kms.key_arns["eks-secrets"]
  logs_kms_key_arn    = module.kms.key_arns["logs"]
  ebs_kms_key_arn     = module.kms.key_arns["ebs"]

  addons = {
    "vpc-cni"                = {}
    "kube-proxy"             = {}
    "coredns"                = { version = "v1.12.1-eksbuild.2" }
    "eks-pod-identity-agent" = {}
  }

  access_entries = {
    admins = {
      principal_arn = "arn:aws:iam::123456789012:role/platform-admin"
      policy        = "AmazonEKSClusterAdminPolicy"
    }
  }
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = module.eks.cluster_endpoint
}
