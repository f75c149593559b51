# oracle: plan
resource "aws_security_group" "nodes" {
  name   = "corpus-nodes"
  vpc_id = "vpc-0123456789abcdef0"
}
