"""Sandbox provider: a Python tfplugin6 server for registry.terraform.io/hashicorp/aws."""
