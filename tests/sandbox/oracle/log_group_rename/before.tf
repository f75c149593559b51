# oracle: change
resource "aws_cloudwatch_log_group" "flow" {
  name              = "/corpus/flow-a"
  retention_in_days = 30
}
