terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }

  # Partial configuration: bucket, key, region and encryption come from the rendered
  # backend.hcl (`terraform init -backend-config=backend.hcl`).
  backend "s3" {}
}
