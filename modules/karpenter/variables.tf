variable "name" {
  description = "Name prefix that already carries the region key, \"<env>-<region_key>\" (e.g. \"prod-us-east\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 lowercase letters, digits or hyphens (\"<env>-<region_key>\")."
  }
}

variable "region" {
  description = "AWS region of the cluster; regional resources set it explicitly (aws provider >= 6)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as \"us-east-1\"."
  }
}

variable "account_id" {
  description = "AWS account id (12 digits) that owns the cluster; used for ARNs known at plan time."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "partition" {
  description = "AWS partition of the ARNs built by the module."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-us-gov", "aws-cn"], var.partition)
    error_message = "partition must be aws, aws-us-gov or aws-cn."
  }
}

variable "cluster_name" {
  description = "Name of the EKS cluster Karpenter manages; also the karpenter.sh/discovery tag value that selects subnets and security groups (as modules/network and modules/eks-cluster tag them)."
  type        = string
}

variable "cluster_endpoint" {
  description = "EKS API endpoint for the Helm values (settings.clusterEndpoint); null lets Karpenter discover it with eks:DescribeCluster."
  type        = string
  default     = null
}

variable "ebs_kms_key_arn" {
  description = "ARN of the ebs KMS key (key ARN scopes the controller policy to it); null or an alias ARN scopes it by alias/<name>-ebs. Node volumes always name the key by its alias ARN."
  type        = string
  default     = null

  validation {
    condition     = var.ebs_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.ebs_kms_key_arn))
    error_message = "ebs_kms_key_arn must be a KMS key or alias ARN."
  }
}

variable "queue_kms_key_arn" {
  description = "Customer-managed KMS key for the interruption queue; null uses SQS-managed SSE. A CMK's policy must let events.amazonaws.com use it."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every AWS resource and for the EC2 instances Karpenter launches."
  type        = map(string)
  default     = {}
}

variable "karpenter" {
  description = "The contract's karpenter object: chart_version, namespace, min_on_demand_share and the pools (map keyed by pool name, see README)."
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

  # The pool rules. Their Python twin is toolkit/settings/pools.py (the settings models,
  # MESSAGES holds the same words); tests/settings/pool_cases.py is the table of cases both
  # are tested against (tests/settings/test_pool_rules.py). Change both together.

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.karpenter.chart_version))
    error_message = "karpenter.chart_version: expected a pinned chart version such as 1.14.1."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.karpenter.namespace))
    error_message = "karpenter.namespace: expected a namespace name of 2 to 32 lowercase letters, digits and hyphens."
  }

  validation {
    condition     = var.karpenter.min_on_demand_share >= 0 && var.karpenter.min_on_demand_share <= 1
    error_message = "karpenter.min_on_demand_share: expected a number between 0 and 1."
  }

  validation {
    condition     = length(var.karpenter.pools) > 0
    error_message = "karpenter.pools: expected at least one pool."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", k))])
    error_message = "karpenter.pools: a pool name does not match the expected pattern ^[a-z][a-z0-9-]{0,30}[a-z0-9]$ (NodePool names add -on-demand)."
  }

  validation {
    condition = alltrue([for k, p in var.karpenter.pools :
      length(p.instance_families) > 0 && alltrue([for f in p.instance_families : can(regex("^[a-z][a-z0-9-]*$", f))])
    ])
    error_message = "karpenter.pools.*.instance_families: expected one or more EC2 instance families such as m6i or g6e."
  }

  # Neuron families (AWS Inferentia, Trainium) in any pool; families of a GPU pool that are
  # not NVIDIA GPU families (tables in main.tf). The messages name the families.
  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : alltrue([for f in p.instance_families : !contains(keys(local.neuron_families), f)])])
    error_message = "karpenter.pools.*.instance_families: neuron pools (AWS Inferentia, Trainium) are not supported yet; Neuron: ${join(", ", distinct(flatten([for k, p in var.karpenter.pools : [for f in p.instance_families : f if contains(keys(local.neuron_families), f)]])))}."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : !p.gpu || alltrue([for f in p.instance_families : contains(local.nvidia_gpu_families, f)])])
    error_message = "karpenter.pools.*.instance_families: a GPU pool takes NVIDIA GPU families only (such as g6e or p5); not NVIDIA: ${join(", ", [for f in distinct(flatten([for k, p in var.karpenter.pools : [for f in p.instance_families : f if !contains(local.nvidia_gpu_families, f)] if p.gpu])) : "${f} (${lookup(local.accelerator_kinds, f, "no GPU")})"])}."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : contains(["spot-first", "on-demand-baseline", "ratio", "on-demand", "spot"], p.capacity_mix.policy)])
    error_message = "karpenter.pools.*.capacity_mix.policy: expected one of spot-first, on-demand-baseline, ratio, on-demand, spot."
  }

  # spot_share is read by ratio only; on-demand and spot imply 0 and 1 whatever it says.
  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.capacity_mix.spot_share >= 0 && p.capacity_mix.spot_share <= 1])
    error_message = "karpenter.pools.*.capacity_mix.spot_share: expected a number between 0 and 1."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.capacity_mix.policy != "ratio" || (p.capacity_mix.spot_share > 0 && p.capacity_mix.spot_share < 1)])
    error_message = "karpenter.pools.*.capacity_mix.spot_share: policy ratio needs 0 < spot_share < 1 (otherwise use policy spot or on-demand)."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.capacity_mix.policy != "on-demand-baseline" || p.capacity_mix.baseline_cpu != null || p.capacity_mix.baseline_gpu != null])
    error_message = "karpenter.pools.*.capacity_mix: policy on-demand-baseline needs baseline_cpu or baseline_gpu."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for b in [p.capacity_mix.baseline_cpu, p.capacity_mix.baseline_gpu] :
      b == null || try(b >= 0 && floor(b) == b, false)
    ]]))
    error_message = "karpenter.pools.*.capacity_mix.baseline_cpu / baseline_gpu: expected a whole number, 0 or more."
  }

  # The spot NodePool of on-demand-baseline gets limit - baseline, so a baseline is at most
  # its limit (and baseline_gpu needs limits.gpu). Other policies ignore the baselines.
  validation {
    condition = alltrue([for k, p in var.karpenter.pools :
      p.capacity_mix.policy != "on-demand-baseline" || p.capacity_mix.baseline_cpu == null || try(p.capacity_mix.baseline_cpu <= p.limits.cpu, false)
    ])
    error_message = "karpenter.pools.*.capacity_mix.baseline_cpu: expected a number between 0 and limits.cpu (policy on-demand-baseline)."
  }

  validation {
    condition = alltrue([for k, p in var.karpenter.pools :
      p.capacity_mix.policy != "on-demand-baseline" || p.capacity_mix.baseline_gpu == null || try(p.capacity_mix.baseline_gpu <= p.limits.gpu, false)
    ])
    error_message = "karpenter.pools.*.capacity_mix.baseline_gpu: expected a number between 0 and limits.gpu (policy on-demand-baseline; limits.gpu must be set)."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for v in [p.limits.cpu, p.limits.memory_gi, coalesce(p.limits.gpu, 1)] :
      try(v >= 1 && floor(v) == v, false)
    ]]))
    error_message = "karpenter.pools.*.limits (cpu, memory_gi, gpu): expected a whole number, at least 1."
  }

  # ratio splits every limit between its two NodePools, at least 1 each.
  validation {
    condition = alltrue([for k, p in var.karpenter.pools : p.capacity_mix.policy != "ratio" || (
      p.limits.cpu >= 2 && p.limits.memory_gi >= 2 && coalesce(p.limits.gpu, 2) >= 2
    )])
    error_message = "karpenter.pools.*.limits: a ratio pool needs at least 2 (one per NodePool) of every limit: cpu, memory_gi and gpu."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : !p.gpu || anytrue([for t in p.taints : t.key == "nvidia.com/gpu" && t.effect == "NoSchedule"])])
    error_message = "Every GPU pool must carry the nvidia.com/gpu NoSchedule taint."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : !p.gpu || p.limits.gpu != null])
    error_message = "karpenter.pools.*.limits.gpu: a GPU pool needs limits.gpu (a cap on nvidia.com/gpu)."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : can(regex("^(al2023|bottlerocket)@(latest|v[0-9][0-9.]*)$", p.ami_alias))])
    error_message = "karpenter.pools.*.ami_alias: expected al2023 or bottlerocket at latest or a pinned version, such as al2023@latest or bottlerocket@v1.40.0."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for t in p.taints :
      can(regex("^([a-z0-9.-]+/)?[A-Za-z0-9_.-]{1,63}$", t.key))
    ]]))
    error_message = "karpenter.pools.*.taints[*].key: expected a label key such as nvidia.com/gpu."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for t in p.taints :
      t.value == null || can(regex("^[A-Za-z0-9_.-]{0,63}$", t.value))
    ]]))
    error_message = "karpenter.pools.*.taints[*].value: expected a label value of at most 63 letters, digits, -, _ or ."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for t in p.taints :
      contains(["NoSchedule", "PreferNoSchedule", "NoExecute"], t.effect)
    ]]))
    error_message = "karpenter.pools.*.taints[*].effect: expected one of NoSchedule, PreferNoSchedule, NoExecute."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for lk, lv in p.labels :
      can(regex("^([a-z0-9.-]+/)?[A-Za-z0-9_.-]{1,63}$", lk)) && can(regex("^[A-Za-z0-9_.-]{0,63}$", lv))
    ]]))
    error_message = "karpenter.pools.*.labels: expected label keys such as team or example.com/team and values of at most 63 letters, digits, -, _ or ."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : try(p.weight >= 0 && p.weight <= 100 && floor(p.weight) == p.weight, false)])
    error_message = "karpenter.pools.*.weight: expected a whole number between 0 and 100 (0: no NodePool weight)."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : contains(["WhenEmpty", "WhenEmptyOrUnderutilized"], p.consolidation_policy)])
    error_message = "karpenter.pools.*.consolidation_policy: expected WhenEmpty or WhenEmptyOrUnderutilized."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : can(regex("^([0-9]+(s|m|h))+$", p.consolidate_after))])
    error_message = "karpenter.pools.*.consolidate_after: expected a duration such as 5m."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : can(regex("^(Never|([0-9]+(s|m|h))+)$", p.expire_after))])
    error_message = "karpenter.pools.*.expire_after: expected a duration such as 720h, or Never."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for b in p.disruption_budgets :
      (b.schedule == null) == (b.duration == null)
    ]]))
    error_message = "karpenter.pools.*.disruption_budgets[*]: schedule and duration go together."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for b in p.disruption_budgets :
      can(regex("^((100|[0-9]{1,2})%|[0-9]+)$", b.nodes))
    ]]))
    error_message = "karpenter.pools.*.disruption_budgets[*].nodes: expected a count or a percentage such as 10%."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for b in p.disruption_budgets :
      b.schedule == null || can(regex("^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|[^ ]+( [^ ]+){4})$", b.schedule))
    ]]))
    error_message = "karpenter.pools.*.disruption_budgets[*].schedule: expected a cron expression of five fields or a macro such as @daily."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for b in p.disruption_budgets :
      b.duration == null || can(regex("^(([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?$", b.duration))
    ]]))
    error_message = "karpenter.pools.*.disruption_budgets[*].duration: expected hours and/or minutes such as 10h or 1h30m."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for b in p.disruption_budgets :
      alltrue([for r in b.reasons : contains(["Underutilized", "Empty", "Drifted"], r)])
    ]]))
    error_message = "karpenter.pools.*.disruption_budgets[*].reasons: expected a list of Underutilized, Empty or Drifted."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : try(p.root_volume_gi >= 20 && p.root_volume_gi <= 16384 && floor(p.root_volume_gi) == p.root_volume_gi, false)])
    error_message = "karpenter.pools.*.root_volume_gi: expected a whole number between 20 and 16384."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.termination_grace_period == null || can(regex("^([0-9]+(s|m|h))+$", p.termination_grace_period))])
    error_message = "karpenter.pools.*.termination_grace_period: expected a duration such as 24h, or null."
  }

  # Zones: availability zones of var.region, each at most once.
  validation {
    condition = alltrue([for k, p in var.karpenter.pools : p.zones == null || try(
      length(p.zones) > 0 && length(distinct(p.zones)) == length(p.zones) && alltrue([for z in p.zones : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$", z))]),
    false)])
    error_message = "karpenter.pools.*.zones: expected one or more distinct availability zones such as us-east-1a."
  }

  validation {
    condition     = alltrue(flatten([for k, p in var.karpenter.pools : [for z in coalesce(p.zones, []) : substr(z, 0, max(length(z) - 1, 0)) == var.region]]))
    error_message = "karpenter.pools.*.zones: expected availability zones of the stack's region ${var.region}, got ${join(", ", flatten([for k, p in var.karpenter.pools : [for z in coalesce(p.zones, []) : z if substr(z, 0, max(length(z) - 1, 0)) != var.region]]))}."
  }

  # Capacity reservations: terms by id, or by tags with an optional owner (CRD limits: 30
  # terms, 20 tags a term, no empty keys or values).
  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : length(p.capacity_reservations) <= 30])
    error_message = "karpenter.pools.*.capacity_reservations: expected at most 30 capacity reservation selector terms."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for t in p.capacity_reservations :
      (t.id == null) != (t.tags == null) && !(t.id != null && t.owner != null)
    ]]))
    error_message = "karpenter.pools.*.capacity_reservations[*]: expected a term with id or tags (not both); owner goes with tags."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for t in p.capacity_reservations :
      t.id == null || can(regex("^cr-[0-9a-z]+$", t.id))
    ]]))
    error_message = "karpenter.pools.*.capacity_reservations[*].id: expected a capacity reservation id such as cr-0123456789abcdef0."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for t in p.capacity_reservations :
      t.tags == null || try(length(t.tags) >= 1 && length(t.tags) <= 20 && alltrue([for tk, tv in t.tags :
        length(tk) >= 1 && length(tk) <= 128 && length(tv) >= 1 && length(tv) <= 256
      ]), false)
    ]]))
    error_message = "karpenter.pools.*.capacity_reservations[*].tags: expected 1 to 20 tags with non-empty keys of at most 128 characters and non-empty values of at most 256 (* matches any)."
  }

  validation {
    condition = alltrue(flatten([for k, p in var.karpenter.pools : [for t in p.capacity_reservations :
      t.owner == null || can(regex("^[0-9]{12}$", t.owner))
    ]]))
    error_message = "karpenter.pools.*.capacity_reservations[*].owner: expected the 12-digit id of the account that owns the reservations."
  }

  # scale_to_zero (GPU pools): nothing may keep an empty node: consolidate_after of at most
  # 1h, no budget with nodes 0 that covers reason Empty (no reasons: all of them).
  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : !p.scale_to_zero || p.gpu])
    error_message = "karpenter.pools.*.scale_to_zero: scale_to_zero is for GPU pools (gpu: true)."
  }

  validation {
    condition = alltrue([for k, p in var.karpenter.pools : !p.scale_to_zero || try(
      sum(concat([0], [for m in regexall("([0-9]+)(h|m|s)", p.consolidate_after) : tonumber(m[0]) * lookup({ h = 3600, m = 60, s = 1 }, m[1])])) <= 3600,
    false)])
    error_message = "karpenter.pools.*.consolidate_after: a scale-to-zero pool removes empty nodes within consolidate_after of at most 1h."
  }

  validation {
    condition = alltrue([for k, p in var.karpenter.pools : !p.scale_to_zero || alltrue([for b in p.disruption_budgets :
      !(contains(["0", "0%"], b.nodes) && (length(b.reasons) == 0 || contains(b.reasons, "Empty")))
    ])])
    error_message = "karpenter.pools.*.disruption_budgets: a scale-to-zero pool must let Karpenter remove empty nodes: no budget with nodes 0 may cover reason Empty."
  }

  # Instance store: raid0 only on families with NVMe instance store (nvme_families in main.tf).
  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.instance_store == null || p.instance_store == "raid0"])
    error_message = "karpenter.pools.*.instance_store: expected raid0 or null."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.instance_store != "raid0" || alltrue([for f in p.instance_families : contains(local.nvme_families, f)])])
    error_message = "karpenter.pools.*.instance_store: instance_store raid0 needs families with local NVMe instance store (such as g5, g6, p4d or p5); no local NVMe: ${join(", ", distinct(flatten([for k, p in var.karpenter.pools : [for f in p.instance_families : f if !contains(local.nvme_families, f)] if p.instance_store == "raid0"])))}."
  }

  # EFA (training pools): interfaces, placement group, and what an EFA pool needs (a GPU pool
  # of EFA-capable families in exactly one zone). try() reads a pool without efa as off.
  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.efa == null || try(p.efa.interfaces >= 1 && p.efa.interfaces <= 32 && floor(p.efa.interfaces) == p.efa.interfaces, false)])
    error_message = "karpenter.pools.*.efa.interfaces: expected a whole number of EFA interfaces between 1 and 32."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.efa == null || try((p.efa.placement_group.name == null) != (p.efa.placement_group.strategy == null), false)])
    error_message = "karpenter.pools.*.efa.placement_group: expected a placement group name or strategy cluster (one of the two)."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.efa == null || try(p.efa.placement_group.name == null || can(regex("^[A-Za-z0-9._-]{1,255}$", p.efa.placement_group.name)), false)])
    error_message = "karpenter.pools.*.efa.placement_group.name: expected a placement group name of 1 to 255 letters, digits, -, _ or .."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : p.efa == null || try(p.efa.placement_group.strategy == null || p.efa.placement_group.strategy == "cluster", false)])
    error_message = "karpenter.pools.*.efa.placement_group.strategy: expected strategy cluster."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : !try(p.efa.enabled, false) || p.gpu])
    error_message = "karpenter.pools.*.efa: an EFA pool is a GPU training pool (gpu: true)."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : !try(p.efa.enabled, false) || alltrue([for f in p.instance_families : contains(local.efa_families, f)])])
    error_message = "karpenter.pools.*.instance_families: an EFA pool takes EFA-capable families only (such as p4d, p5 or p5en); not EFA-capable: ${join(", ", distinct(flatten([for k, p in var.karpenter.pools : [for f in p.instance_families : f if !contains(local.efa_families, f)] if try(p.efa.enabled, false)])))}."
  }

  validation {
    condition     = alltrue([for k, p in var.karpenter.pools : !try(p.efa.enabled, false) || try(length(p.zones) == 1, false)])
    error_message = "karpenter.pools.*.zones: an EFA pool needs exactly one zone (zones: [<zone>]): EFA traffic and a cluster placement group stay in one availability zone."
  }

  # The on-demand share a policy guarantees: on-demand 1, spot and spot-first 0, ratio
  # (n - k) / n of the capacity-spread split (nodepools.tf), on-demand-baseline baseline /
  # limit (GPUs for a GPU pool with baseline_gpu or when baseline_gpu is the only baseline,
  # else CPUs). Mirrors toolkit.settings.pools.on_demand_share.
  validation {
    condition = alltrue([for k, p in var.karpenter.pools : (
      p.capacity_mix.policy == "on-demand" ? 1 :
      p.capacity_mix.policy == "ratio" ? [
        for n in [try([for n in range(1, 21) : n if abs(p.capacity_mix.spot_share * n - floor(p.capacity_mix.spot_share * n + 0.5)) < 0.000000001][0], 20)] :
        (n - min(max(floor(p.capacity_mix.spot_share * n + 0.5), 1), n - 1)) / n
      ][0] :
      p.capacity_mix.policy == "on-demand-baseline" ? (
        (p.gpu || p.capacity_mix.baseline_cpu == null) && p.capacity_mix.baseline_gpu != null && coalesce(p.limits.gpu, 0) > 0 ? p.capacity_mix.baseline_gpu / p.limits.gpu :
        p.capacity_mix.baseline_cpu != null && p.limits.cpu > 0 ? p.capacity_mix.baseline_cpu / p.limits.cpu : 0
      ) : 0
    ) + 0.000000001 >= var.karpenter.min_on_demand_share])
    error_message = "karpenter.pools.*.capacity_mix: the on-demand share a pool's policy guarantees is below karpenter.min_on_demand_share (spot and spot-first guarantee none)."
  }
}
