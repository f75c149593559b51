module "karpenter" {
  source = "../modules/karpenter"

  name             = var.name
  region           = var.region
  account_id       = var.account_id
  cluster_name     = module.eks.cluster_name
  cluster_endpoint = module.eks.cluster_endpoint
  ebs_kms_key_arn  = module.kms.key_arns["ebs"]
  tags             = var.tags
  karpenter        = var.karpenter
}
