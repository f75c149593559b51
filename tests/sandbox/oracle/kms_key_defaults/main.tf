# oracle: plan
resource "aws_kms_key" "logs" {
  description = "facts corpus: defaults"
}
