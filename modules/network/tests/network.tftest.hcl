# terraform test (command = plan): one run per rule.

provider "aws" {
  region = "us-east-1"
}

variables {
  name                 = "prod-us-east"
  cidr                 = "10.20.0.0/16"
  flow_log_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-2222-bbbb-3333-cccc4444dddd"
}

run "three_zones_with_a_nat_gateway_each" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 3 && length(aws_subnet.public) == 3
    error_message = "Default is three zones with one private and one public subnet each."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "one_per_az must create a NAT gateway in every zone."
  }

  assert {
    condition     = alltrue([for az, nat_az in output.nat_gateway_zone_by_subnet_zone : az == nat_az]) && length(aws_route.private_nat) == 3
    error_message = "Each private route table must use the NAT gateway of its own zone."
  }
}

run "single_nat_gateway" {
  command = plan

  variables {
    nat_gateway_mode = "single"
    az_count         = 2
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_nat) == 2 && join(",", distinct(values(output.nat_gateway_zone_by_subnet_zone))) == "us-east-1a"
    error_message = "single mode must create one NAT gateway used by both private route tables."
  }
}

run "subnets_carry_load_balancer_and_karpenter_tags" {
  command = plan

  variables {
    cluster_name = "prod-us-east"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : s.tags["karpenter.sh/discovery"] == "prod-us-east" && s.tags["kubernetes.io/role/internal-elb"] == "1"])
    error_message = "Private subnets need the Karpenter discovery and internal-elb tags."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.tags["kubernetes.io/role/elb"] == "1" && !contains(keys(s.tags), "karpenter.sh/discovery")])
    error_message = "Public subnets need the elb tag and must not be Karpenter-discoverable."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "Public subnets must not assign public IPs on launch."
  }
}

run "subnet_cidrs_do_not_overlap" {
  command = plan

  assert {
    condition     = length(distinct(concat([for s in aws_subnet.private : s.cidr_block], [for s in aws_subnet.public : s.cidr_block]))) == 6
    error_message = "Subnet CIDRs must be distinct."
  }

  assert {
    condition     = aws_subnet.private["us-east-1a"].cidr_block == "10.20.0.0/19" && aws_subnet.public["us-east-1a"].cidr_block == "10.20.224.0/22"
    error_message = "Subnet layout: private /19s from the start, public /22s in the last /19."
  }
}

run "pinned_zones" {
  command = plan

  variables {
    azs      = ["us-east-1b", "us-east-1c", "us-east-1d"]
    az_count = 2
  }

  assert {
    condition     = keys(aws_subnet.private) == ["us-east-1b", "us-east-1c"]
    error_message = "With azs pinned, the first az_count of them are used."
  }
}

run "default_security_group_denies_all" {
  command = plan

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no rules."
  }
}

run "flow_logs_encrypted_and_role_region_qualified" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == var.flow_log_kms_key_arn && aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    error_message = "The flow log group must be KMS-encrypted with a 365-day default retention."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL"
    error_message = "Flow logs must capture all traffic."
  }

  assert {
    condition     = aws_iam_role.flow_logs.name == "prod-us-east-vpc-flow-logs"
    error_message = "The global IAM role name must start with the region-qualified name."
  }
}

run "s3_endpoint_serves_private_route_tables" {
  command = plan

  assert {
    condition     = aws_vpc_endpoint.s3.service_name == "com.amazonaws.us-east-1.s3" && aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "A regional S3 gateway endpoint must exist."
  }
}

run "rejects_bad_cidr" {
  command = plan

  variables {
    cidr = "10.20.0.0/24"
  }

  expect_failures = [var.cidr]
}

run "rejects_host_bits_in_cidr" {
  command = plan

  variables {
    cidr = "10.20.1.0/16"
  }

  expect_failures = [var.cidr]
}

run "rejects_one_zone" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "rejects_unknown_nat_mode" {
  command = plan

  variables {
    nat_gateway_mode = "none"
  }

  expect_failures = [var.nat_gateway_mode]
}

run "rejects_invalid_retention" {
  command = plan

  variables {
    flow_log_retention_days = 42
  }

  expect_failures = [var.flow_log_retention_days]
}

run "rejects_too_few_pinned_zones" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1b"]
  }

  expect_failures = [var.azs]
}

run "rejects_non_kms_arn" {
  command = plan

  variables {
    flow_log_kms_key_arn = "alias/aws/logs"
  }

  expect_failures = [var.flow_log_kms_key_arn]
}
