variable "name" {
  description = "Name prefix for aliases, usually \"<env>-<region_key>\" (for example \"prod-us-east\"). Aliases are alias/<name>-<purpose>."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$", var.name))
    error_message = "name must be 1-63 characters of letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "region" {
  description = "AWS region for the primary keys. null uses the provider's region."
  type        = string
  default     = null
}

variable "zone_regions" {
  description = "AWS regions of the same residency zone. Replica keys may only be created in these regions."
  type        = list(string)
  default     = []
}

variable "deletion_window_days" {
  description = "Waiting period, in days, before a scheduled key deletion completes (7-30; use 30 in production)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30 && floor(var.deletion_window_days) == var.deletion_window_days
    error_message = "deletion_window_days must be a whole number between 7 and 30."
  }
}

variable "rotation_period_days" {
  description = "Automatic key rotation period in days (90-2560). Rotation is always enabled."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_days >= 90 && var.rotation_period_days <= 2560 && floor(var.rotation_period_days) == var.rotation_period_days
    error_message = "rotation_period_days must be a whole number between 90 and 2560."
  }
}

variable "administrators" {
  description = "IAM principal ARNs allowed to administer (but not use) every key: no cryptographic actions, kms:CreateGrant or kms:PutKeyPolicy, and kms:ReplicateKey only to the other zone_regions. The account root also holds kms:PutKeyPolicy so that the key can never become unmanageable."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "administrators must be IAM role, user or account root ARNs (arn:aws:iam::123456789012:role/NAME)."
  }
}

variable "keys" {
  description = <<-EOT
    Keys by purpose (the map key, for example "eks-secrets", "logs", "ebs", "secrets-manager", "state").
    - description: key description.
    - multi_region: create a multi-Region primary key.
    - replica_regions: regions (of zone_regions, not the key's own region) that get an aws_kms_replica_key; needs multi_region.
    - users: IAM principal ARNs allowed to use the key directly (encrypt, decrypt, data keys, and grants for AWS resources) — for example the EC2 Auto Scaling service-linked role for encrypted node volumes.
    - allow_iam_policies: the principals in iam_principal_arns may use the key when their own IAM policy allows it (account root as principal with an aws:PrincipalArn condition, so the roles need not exist yet; usage actions only; administration stays with administrators).
    - iam_principal_arns: IAM role or user ARNs of this account that allow_iam_policies admits (required with allow_iam_policies).
    - via_services: AWS services (for example "ec2", "secretsmanager", "eks", "s3") through which any principal of the account may use the key (kms:ViaService + kms:CallerAccount).
    - service_principals: service principals that use the key themselves; "logs" is bound to this account's log groups by encryption context.
  EOT
  type = map(object({
    description        = string
    multi_region       = optional(bool, false)
    replica_regions    = optional(list(string), [])
    users              = optional(list(string), [])
    allow_iam_policies = optional(bool, false)
    iam_principal_arns = optional(list(string), [])
    via_services       = optional(list(string), [])
    service_principals = optional(list(string), [])
  }))

  validation {
    condition     = length(var.keys) > 0
    error_message = "keys must define at least one key."
  }

  validation {
    condition     = alltrue([for purpose in keys(var.keys) : can(regex("^[a-z0-9][a-z0-9-]{0,30}$", purpose))])
    error_message = "Key purposes (map keys) must be lowercase letters, digits and hyphens, at most 31 characters."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(k.replica_regions) == 0 || k.multi_region])
    error_message = "replica_regions needs multi_region = true on the same key."
  }

  validation {
    condition     = alltrue(flatten([for k in values(var.keys) : [for r in k.replica_regions : contains(var.zone_regions, r)]]))
    error_message = "Every replica region must be one of zone_regions (replicas never leave the residency zone)."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(distinct(k.replica_regions)) == length(k.replica_regions)])
    error_message = "replica_regions must not repeat a region."
  }

  validation {
    condition     = var.region == null || alltrue([for k in values(var.keys) : !contains(k.replica_regions, coalesce(var.region, "-"))])
    error_message = "replica_regions must not contain the primary region itself."
  }

  validation {
    condition     = alltrue(flatten([for k in values(var.keys) : [for s in k.service_principals : contains(["logs", "cloudtrail", "delivery.logs", "sns", "sqs", "events"], s)]]))
    error_message = "service_principals may only contain: logs, cloudtrail, delivery.logs, sns, sqs, events."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : k.allow_iam_policies == (length(k.iam_principal_arns) > 0)])
    error_message = "allow_iam_policies = true needs iam_principal_arns (the roles allowed to use the key through their IAM policy), and iam_principal_arns needs allow_iam_policies = true."
  }

  validation {
    condition     = alltrue(flatten([for k in values(var.keys) : [for p in k.iam_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*?]+$", p))]]))
    error_message = "iam_principal_arns must be IAM role or user ARNs without wildcards."
  }

  validation {
    condition     = alltrue(flatten([for k in values(var.keys) : [for u in k.users : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", u))]]))
    error_message = "users must be IAM role or user ARNs; wildcard principals are not allowed."
  }
}

variable "tags" {
  description = "Extra tags for every key (provider default_tags still apply)."
  type        = map(string)
  default     = {}
}
