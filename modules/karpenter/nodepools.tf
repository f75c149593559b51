################################################################################
# Cluster side as data: Karpenter v1 NodePool / EC2NodeClass objects and Helm values.
# Built from variables only (known at plan time). toolkit/render/karpenter/ builds the same
# objects for `infra render`; tests keep the two equal, so change both together.
################################################################################

locals {
  pools = var.karpenter.pools

  # ratio: the smallest n <= 20 with spot_share * n whole; k of the n capacity-spread
  # values go to the spot NodePool, the other n - k to the on-demand one.
  spread = {
    for k, p in local.pools : k => {
      n = try([for n in range(1, 21) : n if abs(p.capacity_mix.spot_share * n - floor(p.capacity_mix.spot_share * n + 0.5)) < 0.000000001][0], 20)
    } if p.capacity_mix.policy == "ratio"
  }
  # k kept within 1..n-1 so both NodePools get at least one value.
  spread_spot = {
    for k, s in local.spread : k => min(max(floor(local.pools[k].capacity_mix.spot_share * s.n + 0.5), 1), s.n - 1)
  }
  spread_values = {
    for k, s in local.spread : k => {
      spot      = [for i in range(1, local.spread_spot[k] + 1) : tostring(i)]
      on_demand = [for i in range(local.spread_spot[k] + 1, s.n + 1) : tostring(i)]
    }
  }

  # Limits as whole numbers per resource (gpu only when set).
  limit_values = {
    for k, p in local.pools : k => { for rk, rv in {
      cpu       = p.limits.cpu
      memory_gi = p.limits.memory_gi
      gpu       = p.limits.gpu
    } : rk => rv if rv != null }
  }

  # ratio: each resource split k/n (spot, rounded half up, kept within 1..total-1) and the
  # rest to on-demand, so the two NodePools add up to the pool's limits.
  ratio_spot = {
    for k, s in local.spread : k => {
      for rk, t in local.limit_values[k] : rk => min(max(floor((2 * t * local.spread_spot[k] + s.n) / (2 * s.n)), 1), t - 1)
    }
  }

  # on-demand-baseline: on-demand gets baseline_cpu / baseline_gpu where given and the
  # reference share (baseline_cpu / cpu, else baseline_gpu / gpu), rounded up, of every
  # other resource; spot gets limit - on-demand per resource.
  baseline_ref = {
    for k, p in local.pools : k => (
      p.capacity_mix.baseline_cpu != null ? { num = p.capacity_mix.baseline_cpu, den = p.limits.cpu } : { num = p.capacity_mix.baseline_gpu, den = p.limits.gpu }
    ) if p.capacity_mix.policy == "on-demand-baseline"
  }
  baseline_od = {
    for k, r in local.baseline_ref : k => merge(
      { for rk, t in local.limit_values[k] : rk => ceil(t * r.num / r.den) },
      local.pools[k].capacity_mix.baseline_cpu != null ? { cpu = local.pools[k].capacity_mix.baseline_cpu } : {},
      local.pools[k].capacity_mix.baseline_gpu != null && local.pools[k].limits.gpu != null ? { gpu = local.pools[k].capacity_mix.baseline_gpu } : {},
    )
  }

  # Per NodePool variant: the "full", "spot" or "on_demand" part of the pool's limits.
  limit_parts = {
    for k, v in local.limit_values : k => {
      full = v
      spot = (
        local.pools[k].capacity_mix.policy == "ratio" ? local.ratio_spot[k] :
        local.pools[k].capacity_mix.policy == "on-demand-baseline" ? { for rk, t in v : rk => t - local.baseline_od[k][rk] } : v
      )
      on_demand = (
        local.pools[k].capacity_mix.policy == "ratio" ? { for rk, t in v : rk => t - local.ratio_spot[k][rk] } :
        local.pools[k].capacity_mix.policy == "on-demand-baseline" ? local.baseline_od[k] : v
      )
    }
  }

  pool_limits = {
    for k, parts in local.limit_parts : k => {
      for part, v in parts : part => { for lk, lv in {
        cpu              = v.cpu
        memory           = "${v.memory_gi}Gi"
        "nvidia.com/gpu" = try(v.gpu, null)
      } : lk => lv if lv != null }
    }
  }

  # on-demand-baseline: the capped on-demand NodePool outranks the spot one, so pods fill
  # the baseline first and only the burst above it lands on spot (see README).
  burst_weight = { for k, p in local.pools : k => max(1, min(p.weight, 99)) }

  variants = merge([for k, p in local.pools : (
    p.capacity_mix.policy == "spot-first" ? {
      (k) = { pool = k, types = ["on-demand", "spot"], weight = p.weight, limits = local.pool_limits[k].full, spread = null }
    } :
    p.capacity_mix.policy == "spot" || p.capacity_mix.policy == "on-demand" ? {
      (k) = { pool = k, types = [p.capacity_mix.policy], weight = p.weight, limits = local.pool_limits[k].full, spread = null }
    } :
    p.capacity_mix.policy == "ratio" ? {
      "${k}-on-demand" = { pool = k, types = ["on-demand"], weight = p.weight, limits = local.pool_limits[k].on_demand, spread = local.spread_values[k].on_demand }
      "${k}-spot"      = { pool = k, types = ["spot"], weight = p.weight, limits = local.pool_limits[k].spot, spread = local.spread_values[k].spot }
    } :
    {
      "${k}-on-demand" = { pool = k, types = ["on-demand"], weight = local.burst_weight[k] + 1, limits = local.pool_limits[k].on_demand, spread = null }
      "${k}-spot"      = { pool = k, types = ["spot"], weight = local.burst_weight[k], limits = local.pool_limits[k].spot, spread = null }
    }
  )]...)

  managed_by = { "app.kubernetes.io/managed-by" = "infra" }

  # Reserved pools: reserved joins every NodePool's capacity types (Karpenter tries it first,
  # priced near zero); the annotation states the order (render/karpenter/nodepools.py).
  reserved = { for k, p in local.pools : k => length(p.capacity_reservations) > 0 }
  variant_types = { for name, v in local.variants : name => (
    local.reserved[v.pool] ? sort(distinct(concat(v.types, ["reserved"]))) : v.types
  ) }
  capacity_order = { for name, v in local.variants : name => join(",", concat(["reserved"], (
    local.pools[v.pool].capacity_mix.policy == "spot-first" ? ["spot", "on-demand"] :
    local.pools[v.pool].capacity_mix.policy == "on-demand-baseline" ? ["on-demand", "spot"] : v.types
  ))) if local.reserved[v.pool] }

  nodepools = [for name in sort(keys(local.variants)) : {
    apiVersion = "karpenter.sh/v1"
    kind       = "NodePool"
    metadata = merge(
      { name = name, labels = local.managed_by },
      local.reserved[local.variants[name].pool] ? { annotations = { "infra.platform/capacity-order" = local.capacity_order[name] } } : {},
    )
    spec = { for sk, sv in {
      disruption = { for dk, dv in {
        consolidationPolicy = local.pools[local.variants[name].pool].scale_to_zero ? "WhenEmpty" : local.pools[local.variants[name].pool].consolidation_policy
        consolidateAfter    = local.pools[local.variants[name].pool].consolidate_after
        budgets = length(local.pools[local.variants[name].pool].disruption_budgets) == 0 ? null : [
          for b in local.pools[local.variants[name].pool].disruption_budgets : { for bk, bv in {
            nodes    = b.nodes
            schedule = b.schedule
            duration = b.duration
            reasons  = length(b.reasons) > 0 ? b.reasons : null
          } : bk => bv if bv != null }
        ]
      } : dk => dv if dv != null }
      limits = local.variants[name].limits
      template = {
        metadata = {
          labels = merge(
            local.pools[local.variants[name].pool].labels,
            { "infra.platform/pool" = local.variants[name].pool },
            local.pools[local.variants[name].pool].gpu ? { "nvidia.com/gpu.present" = "true" } : {},
          )
        }
        spec = { for tk, tv in {
          expireAfter            = local.pools[local.variants[name].pool].expire_after
          terminationGracePeriod = local.pools[local.variants[name].pool].termination_grace_period
          nodeClassRef           = { group = "karpenter.k8s.aws", kind = "EC2NodeClass", name = local.variants[name].pool }
          requirements = concat(
            [
              { key = "karpenter.k8s.aws/instance-family", operator = "In", values = sort(local.pools[local.variants[name].pool].instance_families) },
              { key = "karpenter.sh/capacity-type", operator = "In", values = local.variant_types[name] },
              { key = "kubernetes.io/os", operator = "In", values = ["linux"] },
            ],
            local.pools[local.variants[name].pool].gpu ? [
              { key = "karpenter.k8s.aws/instance-gpu-count", operator = "Gt", values = ["0"] },
              { key = "karpenter.k8s.aws/instance-gpu-manufacturer", operator = "In", values = ["nvidia"] },
            ] : [],
            local.pools[local.variants[name].pool].zones != null ? [{ key = "topology.kubernetes.io/zone", operator = "In", values = sort(local.pools[local.variants[name].pool].zones) }] : [],
            local.variants[name].spread != null ? [{ key = "capacity-spread", operator = "In", values = local.variants[name].spread }] : [],
          )
          taints = length(local.pools[local.variants[name].pool].taints) == 0 ? null : [
            for t in local.pools[local.variants[name].pool].taints : { for xk, xv in {
              key    = t.key
              value  = t.value
              effect = t.effect
            } : xk => xv if xv != null }
          ]
        } : tk => tv if tv != null }
      }
      weight = local.variants[name].weight > 0 ? local.variants[name].weight : null
    } : sk => sv if sv != null }
  }]

  # EFA pools (training): EFA interfaces, a placement group (created in placement.tf for
  # strategy cluster) and the EFA security group of modules/eks-cluster besides the cluster's.
  efa_on = { for k, p in local.pools : k => try(p.efa.enabled, false) }
  efa_network_interfaces = { for k, p in local.pools : k => concat(
    [{ networkCardIndex = 0, deviceIndex = 0, interfaceType = "interface" }],
    [for card in range(try(p.efa.interfaces, 0)) : { networkCardIndex = card, deviceIndex = card == 0 ? 1 : 0, interfaceType = "efa-only" }],
  ) if local.efa_on[k] }
  placement_group_names   = { for k, p in local.pools : k => coalesce(try(p.efa.placement_group.name, null), "${var.name}-${k}") if local.efa_on[k] }
  efa_security_group_tags = { "infra.platform/efa" = var.cluster_name }

  ebs = { for k, p in local.pools : k => {
    deleteOnTermination = true
    encrypted           = true
    kmsKeyID            = local.ebs_key_alias_arn
    volumeSize          = "${p.root_volume_gi}Gi"
    volumeType          = "gp3"
  } }

  ec2nodeclasses = [for k in sort(keys(local.pools)) : {
    apiVersion = "karpenter.k8s.aws/v1"
    kind       = "EC2NodeClass"
    metadata   = { name = k, labels = local.managed_by }
    spec = { for sk, sv in {
      amiSelectorTerms = [{ alias = local.pools[k].ami_alias }]
      # Bottlerocket keeps the OS on a small /dev/xvda and kubelet data on /dev/xvdb.
      blockDeviceMappings = concat(
        startswith(local.pools[k].ami_alias, "bottlerocket@") ? [
          { deviceName = "/dev/xvda", ebs = merge(local.ebs[k], { volumeSize = "4Gi" }) },
        ] : [],
        [{
          deviceName = startswith(local.pools[k].ami_alias, "bottlerocket@") ? "/dev/xvdb" : "/dev/xvda"
          ebs        = local.ebs[k]
          rootVolume = true
        }],
      )
      metadataOptions = {
        httpEndpoint            = "enabled"
        httpProtocolIPv6        = "disabled"
        httpPutResponseHopLimit = 1
        httpTokens              = "required"
      }
      role                       = local.node_role_name
      securityGroupSelectorTerms = concat([{ tags = local.discovery_tags }], local.efa_on[k] ? [{ tags = local.efa_security_group_tags }] : [])
      subnetSelectorTerms        = [{ tags = local.discovery_tags }]
      tags                       = merge(var.tags, { "infra.platform/pool" = k })
      instanceStorePolicy        = local.pools[k].instance_store == "raid0" ? "RAID0" : null
      networkInterfaces          = lookup(local.efa_network_interfaces, k, null)
      placementGroupSelector     = local.efa_on[k] ? { name = local.placement_group_names[k] } : null
      capacityReservationSelectorTerms = length(local.pools[k].capacity_reservations) == 0 ? null : [
        for t in local.pools[k].capacity_reservations : { for tk, tv in { id = t.id, tags = t.tags, ownerID = t.owner } : tk => tv if tv != null }
      ]
    } : sk => sv if sv != null }
  }]

  helm_values = {
    controller = { resources = { limits = { memory = "1Gi" }, requests = { cpu = "1", memory = "1Gi" } } }
    replicas   = 2
    serviceAccount = {
      create = true
      name   = local.service_account
    }
    settings = { for k, v in {
      clusterName     = var.cluster_name
      clusterEndpoint = var.cluster_endpoint
      # ReservedCapacity: native capacity reservations (capacity type reserved); on by default
      # in 1.14, stated so that a chart default change cannot turn reserved pools off.
      # NodeRepair: ALPHA, off by default; on unless karpenter.node_health.node_repair = false.
      featureGates      = { nodeRepair = var.karpenter.node_health.node_repair, reservedCapacity = true }
      interruptionQueue = local.queue_name
    } : k => v if v != null }
    tolerations = [{ key = "CriticalAddonsOnly", operator = "Exists" }]
  }

  # Install order for Helm or GitOps: the CRD chart first, then the controller chart.
  charts = [
    { name = "karpenter-crd", repository = "oci://public.ecr.aws/karpenter", version = var.karpenter.chart_version, namespace = var.karpenter.namespace },
    { name = "karpenter", repository = "oci://public.ecr.aws/karpenter", version = var.karpenter.chart_version, namespace = var.karpenter.namespace },
  ]
}
