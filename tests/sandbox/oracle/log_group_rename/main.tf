# oracle: change
resource "aws_cloudwatch_log_group" "flow" {
  name              = "/corpus/flow-b"
  retention_in_days = 30
}
