# oracle: change
resource "aws_eks_cluster" "main" {
  name     = "corpus-a"
  version  = "1.31"
  role_arn = "arn:aws:iam::123456789012:role/corpus-cluster"
  vpc_config {
    subnet_ids              = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    endpoint_private_access = true
    endpoint_public_access  = false
  }
}
