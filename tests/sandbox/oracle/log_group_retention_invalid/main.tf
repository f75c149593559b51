# oracle: validate
resource "aws_cloudwatch_log_group" "audit" {
  name              = "/corpus/audit"
  retention_in_days = 4
}
