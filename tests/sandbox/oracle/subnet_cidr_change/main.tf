# oracle: change
resource "aws_subnet" "private" {
  vpc_id            = "vpc-0123456789abcdef0"
  cidr_block        = "10.20.2.0/24"
  availability_zone = "us-east-1a"
}
