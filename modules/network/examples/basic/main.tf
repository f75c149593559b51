variable "region" {
  description = "AWS region of the VPC."
  type        = string
  default     = "us-east-1"
}

module "kms" {
  source = "../../../kms"

  name = "example-us-east"
  keys = {
    logs = { description = "VPC flow logs", service_principals = ["logs"] }
  }
}

module "network" {
  source = "../.."

  name                 = "example-us-east"
  cidr                 = "10.30.0.0/16"
  az_count             = 2
  nat_gateway_mode     = "single"
  flow_log_kms_key_arn = module.kms.key_arns["logs"]
}

output "private_subnet_ids" {
  description = "Private subnet IDs."
  value       = module.network.private_subnet_ids
}
