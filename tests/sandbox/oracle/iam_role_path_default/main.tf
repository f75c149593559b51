# oracle: plan
resource "aws_iam_role" "controller" {
  name = "corpus-controller"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "pods.eks.amazonaws.com" } }]
  })
}
