################################################################################
# Cluster placement groups of EFA pools (efa.placement_group.strategy = "cluster"): one per
# pool, named <name>-<pool>, selected by name in the pool's EC2NodeClass (nodepools.tf). A
# pool that names an existing placement group gets none.
################################################################################

resource "aws_placement_group" "efa" {
  for_each = { for k, p in local.pools : k => p if local.efa_on[k] && try(p.efa.placement_group.strategy, null) == "cluster" }

  region   = var.region
  name     = "${var.name}-${each.key}"
  strategy = "cluster"
  tags     = merge(local.tags, { "infra.platform/pool" = each.key })
}
