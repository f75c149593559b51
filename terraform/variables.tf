# These variables are exactly the keys `infra render` writes to terraform.tfvars.json
# (see docs/contracts.md, "Root stack inputs"); a test keeps both sets equal.

variable "environment" {
  description = "Environment name, for example \"prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be lowercase letters, digits and hyphens (at most 16 characters)."
  }
}

variable "region" {
  description = "AWS region of this stack, for example \"us-east-1\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "region_key" {
  description = "Toolkit region name, for example \"us-east\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.region_key))
    error_message = "region_key must be lowercase letters, digits and hyphens."
  }
}

variable "residency_zone" {
  description = "Data residency zone of the region: \"us\" or \"eu\"."
  type        = string

  validation {
    condition     = contains(["us", "eu"], var.residency_zone)
    error_message = "residency_zone must be \"us\" or \"eu\"."
  }
}

variable "zone_regions" {
  description = "AWS regions of the same residency zone; KMS and secret replicas may only go there."
  type        = list(string)

  validation {
    condition     = alltrue([for r in var.zone_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", r))])
    error_message = "zone_regions must hold AWS region names such as us-west-2."
  }

  validation {
    condition     = contains(var.zone_regions, var.region)
    error_message = "zone_regions must contain the stack's own region."
  }

  validation {
    condition     = alltrue([for r in var.zone_regions : startswith(r, "${var.residency_zone}-")])
    error_message = "Every zone region must belong to the residency zone (us-* for \"us\", eu-* for \"eu\")."
  }
}

variable "account_id" {
  description = "AWS account ID (12 digits); the provider refuses any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "name" {
  description = "Cluster name and prefix of every global name: \"<environment>-<region_key>\", for example \"prod-us-east\"."
  type        = string

  validation {
    condition     = var.name == "${var.environment}-${var.region_key}"
    error_message = "name must be \"<environment>-<region_key>\" so that global names are region-qualified."
  }
}

variable "tags" {
  description = "Tags applied to every resource through the provider's default_tags (owner, cost-center, data-classification, environment and extras)."
  type        = map(string)

  validation {
    condition     = alltrue([for t in ["owner", "cost-center", "data-classification", "environment"] : contains(keys(var.tags), t)])
    error_message = "tags must include owner, cost-center, data-classification and environment."
  }
}

variable "network" {
  description = "VPC settings: cidr, az_count, nat_gateway_mode (\"one_per_az\" | \"single\") and flow_log_retention_days."
  type = object({
    cidr                    = string
    az_count                = optional(number, 3)
    nat_gateway_mode        = optional(string, "one_per_az")
    flow_log_retention_days = optional(number, 365)
  })
}

variable "eks" {
  description = "EKS control plane, system node group, add-ons (version null = most recent) and access entries."
  type = object({
    kubernetes_version     = string
    endpoint_public_access = optional(bool, false)
    public_access_cidrs    = optional(list(string), [])
    log_retention_days     = optional(number, 365)
    deletion_protection    = optional(bool, false)
    system_node_group = optional(object({
      instance_types = optional(list(string), ["m6i.large"])
      min_size       = optional(number, 2)
      max_size       = optional(number, 4)
      desired_size   = optional(number, 2)
      disk_size_gb   = optional(number, 50)
    }), {})
    addons = optional(map(object({
      version = optional(string)
    })), { "vpc-cni" = {}, "coredns" = {}, "kube-proxy" = {}, "eks-pod-identity-agent" = {}, "aws-ebs-csi-driver" = {} })
    access_entries = optional(map(object({
      principal_arn = string
      policy        = string
      namespaces    = optional(list(string), [])
    })), {})
  })
}

variable "karpenter" {
  description = "Karpenter chart version, namespace, minimum on-demand share and node pools (see docs/contracts.md, POOL)."
  type = object({
    chart_version       = string
    namespace           = optional(string, "kube-system")
    min_on_demand_share = optional(number, 0)
    node_health = optional(object({
      node_repair      = optional(bool, true)
      monitoring_agent = optional(bool, true)
    }), {})
    pools = map(object({
      gpu               = optional(bool, false)
      instance_families = list(string)
      capacity_mix = object({
        policy       = string
        spot_share   = optional(number, 0.5)
        baseline_cpu = optional(number)
        baseline_gpu = optional(number)
      })
      limits = object({
        cpu       = number
        memory_gi = number
        gpu       = optional(number)
      })
      ami_alias = optional(string, "al2023@latest")
      taints = optional(list(object({
        key    = string
        value  = optional(string)
        effect = string
      })), [])
      labels               = optional(map(string), {})
      weight               = optional(number, 10)
      consolidation_policy = optional(string, "WhenEmptyOrUnderutilized")
      consolidate_after    = optional(string, "1m")
      expire_after         = optional(string, "720h")
      disruption_budgets = optional(list(object({
        nodes    = string
        schedule = optional(string)
        duration = optional(string)
        reasons  = optional(list(string), [])
      })), [{ nodes = "10%", schedule = null, duration = null, reasons = [] }])
      root_volume_gi           = optional(number, 100)
      termination_grace_period = optional(string)
      zones                    = optional(list(string))
      capacity_reservations = optional(list(object({
        id    = optional(string)
        tags  = optional(map(string))
        owner = optional(string)
      })), [])
      efa = optional(object({
        enabled    = optional(bool, true)
        interfaces = optional(number, 1)
        placement_group = optional(object({
          name     = optional(string)
          strategy = optional(string)
        }), { strategy = "cluster" })
      }))
      scale_to_zero  = optional(bool, false)
      instance_store = optional(string)
    }))
  })
}

variable "kms" {
  description = "KMS keys by purpose (eks-secrets, logs, ebs, secrets-manager, state, ...), deletion window, rotation period and administrators."
  type = object({
    deletion_window_days = optional(number, 30)
    rotation_period_days = optional(number, 365)
    administrators       = optional(list(string), [])
    keys = map(object({
      description     = string
      multi_region    = optional(bool, false)
      replica_regions = optional(list(string), [])
    }))
  })

  validation {
    condition     = alltrue([for k in ["eks-secrets", "logs", "ebs", "secrets-manager"] : contains(keys(var.kms.keys), k)])
    error_message = "kms.keys must include eks-secrets, logs, ebs and secrets-manager."
  }
}

variable "secrets" {
  description = "Secrets Manager secrets by name; generated values never enter state or plan."
  type = map(object({
    description         = string
    generate            = optional(bool, true)
    length              = optional(number, 32)
    exclude_punctuation = optional(bool, false)
    rotation_days       = optional(number)
    rotation_schedule   = optional(string)
    rotation_lambda_arn = optional(string)
    replica_regions     = optional(list(string), [])
    value_version       = optional(number, 1)
  }))
  default = {}

  validation {
    condition     = alltrue(flatten([for s in values(var.secrets) : [for r in s.replica_regions : contains(var.zone_regions, r)]]))
    error_message = "Secret replica regions must be in zone_regions."
  }
}
