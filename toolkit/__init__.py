"""infra: Terraform + Python toolkit for GPU-capable, data-resident EKS on AWS."""

__version__ = "0.1.0"
