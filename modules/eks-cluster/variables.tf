variable "name" {
  description = "Cluster name, also the prefix of its global resources (IAM roles). Usually \"<env>-<region_key>\" so the same name never collides across regions."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,37}$", var.name))
    error_message = "name must start with a letter and hold at most 38 letters, digits and hyphens (IAM role names derive from it)."
  }
}

variable "region" {
  description = "AWS region for every regional resource. null uses the provider's region."
  type        = string
  default     = null
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and system nodes, for example \"1.33\"."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as \"1.33\"."
  }
}

variable "subnet_ids" {
  description = "Private subnet IDs (at least two zones) for the control plane ENIs and the system node group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must hold at least two subnets in different zones."
  }
}

variable "endpoint_public_access" {
  description = "Expose the API server endpoint publicly. The private endpoint is always on; a public one needs public_access_cidrs."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public endpoint. Required when endpoint_public_access is true; each must have a prefix of /8 or longer (never 0.0.0.0/0)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "public_access_cidrs must be valid IPv4 CIDRs."
  }

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : try(tonumber(split("/", c)[1]) >= 8, false)])
    error_message = "public_access_cidrs must be CIDRs with a prefix length of /8 or longer (0.0.0.0/0 and other networks wider than /8 are rejected); list the networks that need the API."
  }

  validation {
    condition     = !var.endpoint_public_access || length(var.public_access_cidrs) > 0
    error_message = "endpoint_public_access = true needs a non-empty public_access_cidrs allow-list."
  }
}

variable "log_retention_days" {
  description = "Retention of the control-plane log group, in days (a CloudWatch Logs retention value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "support_type" {
  description = "EKS version support policy: \"STANDARD\" (the cluster is upgraded automatically when standard support ends) or \"EXTENDED\" (extended support, billed extra)."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "EXTENDED"], var.support_type)
    error_message = "support_type must be STANDARD or EXTENDED."
  }
}

variable "deletion_protection" {
  description = "Protect the cluster against deletion (true in production)."
  type        = bool
  default     = true
}

variable "secrets_kms_key_arn" {
  description = "ARN of the KMS key for envelope encryption of Kubernetes secrets (the eks-secrets key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.secrets_kms_key_arn))
    error_message = "secrets_kms_key_arn must be a KMS key ARN."
  }
}

variable "logs_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the control-plane log group (the logs key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "ebs_kms_key_arn" {
  description = "ARN of the KMS key for node root volumes and EBS CSI volumes (the ebs key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.ebs_kms_key_arn))
    error_message = "ebs_kms_key_arn must be a KMS key ARN."
  }
}

variable "system_node_group" {
  description = "The small on-demand node group for critical add-ons (tainted CriticalAddonsOnly=true:NoSchedule); workloads run on Karpenter nodes."
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 50)
    ami_type       = optional(string, "AL2023_x86_64_STANDARD")
  })
  default = {
    instance_types = ["m6i.large"]
    min_size       = 2
    max_size       = 3
    desired_size   = 2
  }

  validation {
    condition     = length(var.system_node_group.instance_types) > 0
    error_message = "system_node_group.instance_types must not be empty."
  }

  validation {
    condition     = var.system_node_group.min_size >= 1 && var.system_node_group.min_size <= var.system_node_group.desired_size && var.system_node_group.desired_size <= var.system_node_group.max_size
    error_message = "system_node_group needs 1 <= min_size <= desired_size <= max_size."
  }

  validation {
    condition     = var.system_node_group.disk_size_gb >= 20 && var.system_node_group.disk_size_gb <= 16384
    error_message = "system_node_group.disk_size_gb must be between 20 and 16384."
  }

  validation {
    condition     = contains(["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"], var.system_node_group.ami_type)
    error_message = "system_node_group.ami_type must be AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, BOTTLEROCKET_x86_64 or BOTTLEROCKET_ARM_64."
  }
}

variable "addons" {
  description = "EKS add-ons by name with a pinned version, or version = null for the most recent version for kubernetes_version. vpc-cni, kube-proxy and eks-pod-identity-agent install before the nodes; aws-ebs-csi-driver and vpc-cni get Pod Identity roles."
  type = map(object({
    version = optional(string)
  }))
  default = {
    "vpc-cni"                = {}
    "kube-proxy"             = {}
    "eks-pod-identity-agent" = {}
    "coredns"                = {}
    "aws-ebs-csi-driver"     = {}
  }

  validation {
    condition     = alltrue([for a in ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"] : contains(keys(var.addons), a)])
    error_message = "addons must include vpc-cni, kube-proxy, coredns and eks-pod-identity-agent."
  }

  validation {
    condition     = alltrue([for a in values(var.addons) : a.version == null || can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", coalesce(a.version, "-")))])
    error_message = "Add-on versions must look like v1.19.2-eksbuild.1 (or be null for the most recent)."
  }
}

variable "access_entries" {
  description = "Access entries by name: an IAM principal, an EKS access policy (short name such as AmazonEKSClusterAdminPolicy or a full ARN) and the namespaces it applies to (empty list = cluster-wide)."
  type = map(object({
    principal_arn = string
    policy        = string
    namespaces    = optional(list(string), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for e in values(var.access_entries) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", e.principal_arn))])
    error_message = "access_entries[*].principal_arn must be an IAM role or user ARN."
  }

  validation {
    condition = alltrue([for e in values(var.access_entries) : contains(
      ["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy"],
      e.policy) || can(regex("^arn:aws[a-z-]*:eks::aws:cluster-access-policy/[A-Za-z]+$", e.policy))
    ])
    error_message = "access_entries[*].policy must be an EKS access policy name (AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, AmazonEKSEditPolicy, AmazonEKSViewPolicy, AmazonEKSAdminViewPolicy) or its ARN."
  }

  validation {
    condition     = alltrue([for e in values(var.access_entries) : !(length(e.namespaces) > 0 && endswith(e.policy, "AmazonEKSClusterAdminPolicy"))])
    error_message = "AmazonEKSClusterAdminPolicy is cluster-wide; use AmazonEKSAdminPolicy for namespaced admin access."
  }
}

variable "node_monitoring_agent" {
  description = "Install the EKS add-on eks-node-monitoring-agent (most recent version, or the version given in addons): node conditions such as AcceleratedHardwareReady that Karpenter's node repair acts on. The root stack sets it from karpenter.node_health.monitoring_agent (default true)."
  type        = bool
  default     = false
}

variable "efa_security_group" {
  description = "Create the EFA security group <name>-efa (all traffic from and to itself, tagged infra.platform/efa = <name>) that the EC2NodeClasses of Karpenter EFA pools select; true when some pool uses EFA."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource (provider default_tags still apply)."
  type        = map(string)
  default     = {}
}
