variable "name" {
  description = "Name prefix for the VPC and its global resources (IAM role), usually \"<env>-<region_key>\"."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,46}$", var.name))
    error_message = "name must be 1-47 characters of letters, digits and hyphens."
  }
}

variable "region" {
  description = "AWS region for every resource. null uses the provider's region."
  type        = string
  default     = null
}

variable "cluster_name" {
  description = "EKS cluster name used in subnet tags (kubernetes.io/cluster/<name> and karpenter.sh/discovery). null uses name."
  type        = string
  default     = null
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC, a /16 to /20. Private subnets take the first 3/4 of it, public subnets part of the last 1/8."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && can(regex("^[0-9.]+/(1[6-9]|20)$", var.cidr))
    error_message = "cidr must be a valid IPv4 CIDR with a prefix length between /16 and /20."
  }

  validation {
    condition     = !can(cidrhost(var.cidr, 0)) || cidrhost(var.cidr, 0) == split("/", var.cidr)[0]
    error_message = "cidr must be a network address (no host bits set), for example 10.0.0.0/16."
  }
}

variable "az_count" {
  description = "Number of availability zones (2-6); one private and one public subnet in each."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number between 2 and 6."
  }
}

variable "azs" {
  description = "Availability zone names to use, in order (the first az_count are used). null picks the first az_count zones of the region by name."
  type        = list(string)
  default     = null

  validation {
    condition     = var.azs == null || alltrue([for az in coalesce(var.azs, []) : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", az))])
    error_message = "azs must be availability zone names such as us-east-1a."
  }

  validation {
    condition     = var.azs == null || length(coalesce(var.azs, [])) >= var.az_count
    error_message = "azs must list at least az_count zones."
  }
}

variable "nat_gateway_mode" {
  description = "\"one_per_az\" (a NAT gateway per zone; zone failures stay local, for production) or \"single\" (one shared NAT gateway, cheaper, for staging)."
  type        = string
  default     = "one_per_az"

  validation {
    condition     = contains(["one_per_az", "single"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be \"one_per_az\" or \"single\"."
  }
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group, in days (a CloudWatch Logs retention value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "flow_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group (its policy must allow the logs service principal)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be a KMS key ARN."
  }
}

variable "tags" {
  description = "Extra tags for every resource (provider default_tags still apply)."
  type        = map(string)
  default     = {}
}
