# oracle: change
resource "aws_kms_key" "data" {
  description             = "facts corpus: data key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  multi_region            = false
}
