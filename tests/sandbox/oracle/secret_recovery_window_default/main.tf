# oracle: plan
resource "aws_secretsmanager_secret" "token" {
  name = "corpus/token"
}
