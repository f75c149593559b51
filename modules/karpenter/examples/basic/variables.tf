variable "name" {
  description = "Cluster name and name prefix, \"<env>-<region_key>\"."
  type        = string
  default     = "prod-us-east"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "account_id" {
  description = "AWS account id."
  type        = string
  default     = "123456789012"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { owner = "platform-team", environment = "prod", cost-center = "cc-1234", data-classification = "confidential" }
}
