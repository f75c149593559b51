output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones in use, in order."
  value       = local.azs
}

output "private_subnet_ids" {
  description = "Private subnet IDs, in zone order (nodes and internal load balancers)."
  value       = [for az in local.azs : aws_subnet.private[az].id]
}

output "public_subnet_ids" {
  description = "Public subnet IDs, in zone order (internet-facing load balancers and NAT gateways)."
  value       = [for az in local.azs : aws_subnet.public[az].id]
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs by zone."
  value       = { for az, nat in aws_nat_gateway.this : az => nat.id }
}

output "nat_gateway_zone_by_subnet_zone" {
  description = "For each private subnet zone, the zone of the NAT gateway its default route uses."
  value       = local.nat_az_for
}

output "default_security_group_id" {
  description = "ID of the VPC default security group (no rules)."
  value       = aws_default_security_group.this.id
}

output "flow_log_id" {
  description = "ID of the VPC flow log."
  value       = aws_flow_log.this.id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group receiving the flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "flow_log_role_arn" {
  description = "ARN of the IAM role used by VPC flow logs."
  value       = aws_iam_role.flow_logs.arn
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint of the private route tables."
  value       = aws_vpc_endpoint.s3.id
}
