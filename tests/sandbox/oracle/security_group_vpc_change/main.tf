# oracle: change
resource "aws_security_group" "nodes" {
  name        = "corpus-nodes"
  description = "nodes"
  vpc_id      = "vpc-0123456789abcdef1"
}
