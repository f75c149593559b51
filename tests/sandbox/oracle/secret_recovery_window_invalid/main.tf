# oracle: validate
resource "aws_secretsmanager_secret" "token" {
  name                    = "corpus/token"
  recovery_window_in_days = 3
}
