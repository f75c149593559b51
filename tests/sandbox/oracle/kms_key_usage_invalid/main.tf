# oracle: validate
resource "aws_kms_key" "signing" {
  description = "facts corpus: bad usage"
  key_usage   = "FOO"
}
