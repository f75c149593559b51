# oracle: change
resource "aws_vpc" "main" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name  = "corpus"
    owner = "gpu-team"
  }
}
