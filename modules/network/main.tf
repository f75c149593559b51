# Zones are allow-listed by name: the explicit var.azs, or else every zone of the region
# (names sort, so a zone AWS adds later comes last and never shifts the first az_count).
data "aws_availability_zones" "available" {
  region = var.region
  state  = "available"

  filter {
    name   = "zone-name"
    values = var.azs != null ? var.azs : ["${data.aws_region.current.region}*"]
  }

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  cluster_name = coalesce(var.cluster_name, var.name)
  azs          = var.azs != null ? slice(var.azs, 0, var.az_count) : slice(sort(data.aws_availability_zones.available.names), 0, var.az_count)
  az_index     = { for i, az in local.azs : az => i }

  # /16 -> private /19 per zone (up to 6), public /22 per zone inside the last /19.
  private_cidrs = { for az, i in local.az_index : az => cidrsubnet(var.cidr, 3, i) }
  public_cidrs  = { for az, i in local.az_index : az => cidrsubnet(cidrsubnet(var.cidr, 3, 7), 3, i) }

  nat_azs = var.nat_gateway_mode == "one_per_az" ? local.azs : [local.azs[0]]
  # Zone of the NAT gateway each private subnet routes through: its own in one_per_az mode,
  # the first zone's in single mode.
  nat_az_for = { for az in local.azs : az => contains(local.nat_azs, az) ? az : local.nat_azs[0] }
}

resource "aws_vpc" "this" {
  region               = var.region
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# The default security group of the VPC allows nothing: no ingress, no egress.
resource "aws_default_security_group" "this" {
  region  = var.region
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []

  tags = merge(var.tags, { Name = "${var.name}-default-deny-all" })
}

resource "aws_subnet" "private" {
  for_each = local.private_cidrs

  region                  = var.region
  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name                                          = "${var.name}-private-${each.key}"
    tier                                          = "private"
    "kubernetes.io/role/internal-elb"             = "1"
    "kubernetes.io/cluster/${local.cluster_name}" = "shared"
    "karpenter.sh/discovery"                      = local.cluster_name
  })
}

resource "aws_subnet" "public" {
  for_each = local.public_cidrs

  region                  = var.region
  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name                                          = "${var.name}-public-${each.key}"
    tier                                          = "public"
    "kubernetes.io/role/elb"                      = "1"
    "kubernetes.io/cluster/${local.cluster_name}" = "shared"
  })
}

resource "aws_internet_gateway" "this" {
  region = var.region
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_route_table" "public" {
  region = var.region
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  region                 = var.region
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  region         = var.region
  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_azs)

  region = var.region
  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_azs)

  region        = var.region
  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  for_each = local.private_cidrs

  region = var.region
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${each.key}" })
}

resource "aws_route" "private_nat" {
  for_each = local.private_cidrs

  region                 = var.region
  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[local.nat_az_for[each.key]].id
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  region         = var.region
  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

# Gateway endpoint: image layers (ECR stores them in S3) and other S3 traffic from the private
# subnets bypass the NAT gateways, at no charge.
resource "aws_vpc_endpoint" "s3" {
  region            = var.region
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for az in local.azs : aws_route_table.private[az].id]

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}
