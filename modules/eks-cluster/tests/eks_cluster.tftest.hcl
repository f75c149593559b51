# terraform test (command = plan): one run per rule.

provider "aws" {
  region = "us-east-1"
}

variables {
  name                = "prod-us-east"
  kubernetes_version  = "1.33"
  subnet_ids          = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"]
  secrets_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  logs_kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  ebs_kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333"
  access_entries = {
    admins = {
      principal_arn = "arn:aws:iam::123456789012:role/platform-admin"
      policy        = "AmazonEKSClusterAdminPolicy"
    }
    ml = {
      principal_arn = "arn:aws:iam::123456789012:role/ml"
      policy        = "AmazonEKSEditPolicy"
      namespaces    = ["ml"]
    }
  }
}

run "endpoint_private_by_default" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && !aws_eks_cluster.this.vpc_config[0].endpoint_public_access
    error_message = "The API endpoint must be private-only by default."
  }
}

run "public_endpoint_with_allow_list" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["203.0.113.0/24"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access && tolist(aws_eks_cluster.this.vpc_config[0].public_access_cidrs) == tolist(["203.0.113.0/24"])
    error_message = "A public endpoint must be limited to the allow-list."
  }
}

run "secrets_encryption_logging_and_protection" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == var.secrets_kms_key_arn && tolist(aws_eks_cluster.this.encryption_config[0].resources) == tolist(["secrets"])
    error_message = "Secrets must be envelope-encrypted with the eks-secrets key."
  }

  assert {
    condition     = length(aws_eks_cluster.this.enabled_cluster_log_types) == 5
    error_message = "All five control-plane log types must be enabled."
  }

  assert {
    condition     = aws_cloudwatch_log_group.cluster.name == "/aws/eks/prod-us-east/cluster" && aws_cloudwatch_log_group.cluster.kms_key_id == var.logs_kms_key_arn && aws_cloudwatch_log_group.cluster.retention_in_days == 365
    error_message = "The control-plane log group must be the EKS one, KMS-encrypted, with retention."
  }

  assert {
    condition     = aws_eks_cluster.this.deletion_protection
    error_message = "Deletion protection is on by default."
  }

  assert {
    condition     = aws_eks_cluster.this.upgrade_policy[0].support_type == "STANDARD"
    error_message = "Standard support (no extended-support charges) is the default."
  }
}

run "api_authentication_with_access_entries" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API" && !aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions
    error_message = "Authentication must be API-only without an implicit creator admin."
  }

  assert {
    condition     = aws_eks_access_policy_association.this["admins"].access_scope[0].type == "cluster" && aws_eks_access_policy_association.this["ml"].access_scope[0].type == "namespace"
    error_message = "Entries without namespaces are cluster-wide, the others namespaced."
  }

  assert {
    condition     = aws_eks_access_policy_association.this["ml"].policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
    error_message = "Short policy names must expand to the access policy ARN."
  }
}

run "system_nodes_tainted_with_imdsv2_and_encrypted_disks" {
  command = plan

  assert {
    condition     = length([for t in aws_eks_node_group.system.taint : t if t.key == "CriticalAddonsOnly" && t.effect == "NO_SCHEDULE"]) == 1 && aws_eks_node_group.system.capacity_type == "ON_DEMAND"
    error_message = "The system node group must be on-demand and tainted CriticalAddonsOnly:NoSchedule."
  }

  assert {
    condition     = aws_launch_template.system.metadata_options[0].http_tokens == "required" && aws_launch_template.system.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Nodes must require IMDSv2 with a hop limit of 1."
  }

  assert {
    condition     = aws_launch_template.system.block_device_mappings[0].ebs[0].encrypted == "true" && aws_launch_template.system.block_device_mappings[0].ebs[0].kms_key_id == var.ebs_kms_key_arn
    error_message = "Root volumes must be encrypted with the ebs key."
  }
}

run "addons_pinned_or_latest_with_pod_identity" {
  command = plan

  variables {
    addons = {
      "vpc-cni"                = {}
      "kube-proxy"             = {}
      "coredns"                = { version = "v1.12.1-eksbuild.2" }
      "eks-pod-identity-agent" = {}
      "aws-ebs-csi-driver"     = {}
    }
  }

  assert {
    condition     = aws_eks_addon.this["coredns"].addon_version == "v1.12.1-eksbuild.2"
    error_message = "A pinned add-on version must be used as given."
  }

  assert {
    condition     = keys(data.aws_eks_addon_version.latest) == ["aws-ebs-csi-driver", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    error_message = "Unpinned add-ons resolve their most recent version."
  }

  assert {
    condition     = keys(aws_eks_addon.before_compute) == ["eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    error_message = "Networking and identity add-ons must be created before the nodes."
  }

  assert {
    condition     = [for a in aws_eks_addon.this["aws-ebs-csi-driver"].pod_identity_association : a.service_account] == ["ebs-csi-controller-sa"]
    error_message = "The EBS CSI driver must use EKS Pod Identity."
  }
}

run "pod_identity_roles_trust_only_their_service_account" {
  command = plan

  assert {
    condition     = keys(data.aws_iam_policy_document.pod_identity_assume) == ["aws-ebs-csi-driver", "vpc-cni"]
    error_message = "Each Pod Identity add-on role has its own trust policy."
  }

  assert {
    condition = alltrue([for addon, sa in { "vpc-cni" = "kube-system/aws-node", "aws-ebs-csi-driver" = "kube-system/ebs-csi-controller-sa" } :
      alltrue([for s in jsondecode(data.aws_iam_policy_document.pod_identity_assume[addon].json).Statement :
        s.Principal.Service == "pods.eks.amazonaws.com"
        && length(setsubtract(toset(["sts:AssumeRole", "sts:TagSession"]), toset(flatten([s.Action])))) == 0
        && "${s.Condition.StringEquals["aws:RequestTag/kubernetes-namespace"]}/${s.Condition.StringEquals["aws:RequestTag/kubernetes-service-account"]}" == sa
        && s.Condition.StringEquals["aws:RequestTag/eks-cluster-arn"] == "arn:aws:eks:us-east-1:123456789012:cluster/prod-us-east"
      ])
    ])
    error_message = "Pod Identity trust policies must allow sts:TagSession and name the cluster, namespace and service account of their add-on."
  }

  assert {
    condition     = aws_iam_role.addon["vpc-cni"].assume_role_policy == data.aws_iam_policy_document.pod_identity_assume["vpc-cni"].json
    error_message = "Each add-on role must use its own trust policy."
  }
}

run "global_names_are_prefixed" {
  command = plan

  assert {
    condition     = alltrue([for n in concat([aws_iam_role.cluster.name, aws_iam_role.system_node.name], [for r in aws_iam_role.addon : r.name]) : startswith(n, "prod-us-east-")])
    error_message = "IAM role names must start with the region-qualified name."
  }
}

run "rejects_public_endpoint_without_cidrs" {
  command = plan

  variables {
    endpoint_public_access = true
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_open_public_endpoint" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["0.0.0.0/0"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_wide_public_cidr" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["203.0.113.0/24", "0.0.0.0/1"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_slash_seven_public_cidr" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["10.0.0.0/7"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "accepts_slash_eight_public_cidr" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["10.0.0.0/8"]
  }

  assert {
    condition     = tolist(aws_eks_cluster.this.vpc_config[0].public_access_cidrs) == tolist(["10.0.0.0/8"])
    error_message = "A /8 allow-list is the widest accepted."
  }
}

run "rejects_bad_cidr" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["office"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_bad_kubernetes_version" {
  command = plan

  variables {
    kubernetes_version = "1.33.1"
  }

  expect_failures = [var.kubernetes_version]
}

run "rejects_one_subnet" {
  command = plan

  variables {
    subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_invalid_log_retention" {
  command = plan

  variables {
    log_retention_days = 100
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_bad_node_group_sizes" {
  command = plan

  variables {
    system_node_group = { instance_types = ["m6i.large"], min_size = 3, max_size = 2, desired_size = 2 }
  }

  expect_failures = [var.system_node_group]
}

run "rejects_unknown_ami_type" {
  command = plan

  variables {
    system_node_group = { instance_types = ["m6i.large"], min_size = 2, max_size = 3, desired_size = 2, ami_type = "AL2_x86_64" }
  }

  expect_failures = [var.system_node_group]
}

run "rejects_missing_core_addon" {
  command = plan

  variables {
    addons = { "vpc-cni" = {}, "kube-proxy" = {}, "eks-pod-identity-agent" = {} }
  }

  expect_failures = [var.addons]
}

run "rejects_malformed_addon_version" {
  command = plan

  variables {
    addons = { "vpc-cni" = { version = "latest" }, "kube-proxy" = {}, "coredns" = {}, "eks-pod-identity-agent" = {} }
  }

  expect_failures = [var.addons]
}

run "rejects_unknown_access_policy" {
  command = plan

  variables {
    access_entries = { x = { principal_arn = "arn:aws:iam::123456789012:role/x", policy = "AdministratorAccess" } }
  }

  expect_failures = [var.access_entries]
}

run "rejects_namespaced_cluster_admin" {
  command = plan

  variables {
    access_entries = { x = { principal_arn = "arn:aws:iam::123456789012:role/x", policy = "AmazonEKSClusterAdminPolicy", namespaces = ["a"] } }
  }

  expect_failures = [var.access_entries]
}

run "rejects_non_iam_principal" {
  command = plan

  variables {
    access_entries = { x = { principal_arn = "*", policy = "AmazonEKSViewPolicy" } }
  }

  expect_failures = [var.access_entries]
}

run "rejects_non_kms_secrets_key" {
  command = plan

  variables {
    secrets_kms_key_arn = "alias/eks"
  }

  expect_failures = [var.secrets_kms_key_arn]
}

run "rejects_unknown_support_type" {
  command = plan

  variables {
    support_type = "LTS"
  }

  expect_failures = [var.support_type]
}

run "rejects_long_name" {
  command = plan

  variables {
    name = "a-very-long-cluster-name-that-breaks-iam-limits"
  }

  expect_failures = [var.name]
}

run "no_efa_security_group_without_efa_pools" {
  command = plan

  assert {
    condition     = length(aws_security_group.efa) == 0 && length(aws_vpc_security_group_ingress_rule.efa_self) == 0 && length(aws_vpc_security_group_egress_rule.efa_self) == 0
    error_message = "The EFA security group exists only when some pool uses EFA."
  }
}

run "efa_security_group_allows_all_traffic_from_and_to_itself" {
  command = plan

  variables {
    efa_security_group = true
  }

  assert {
    condition     = aws_security_group.efa[0].name == "prod-us-east-efa" && aws_security_group.efa[0].tags["infra.platform/efa"] == "prod-us-east"
    error_message = "The EFA security group is <name>-efa, tagged infra.platform/efa = <name> for the EC2NodeClasses of EFA pools."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.efa_self[0].ip_protocol == "-1" && aws_vpc_security_group_egress_rule.efa_self[0].ip_protocol == "-1"
    error_message = "EFA needs all traffic (every protocol and port) in and out."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.efa_self[0].cidr_ipv4 == null && aws_vpc_security_group_egress_rule.efa_self[0].cidr_ipv4 == null
    error_message = "The EFA rules reference the group itself, never a CIDR."
  }
}

run "node_monitoring_agent_is_an_addon_after_the_nodes" {
  command = plan

  variables {
    node_monitoring_agent = true
  }

  assert {
    condition     = contains(keys(aws_eks_addon.this), "eks-node-monitoring-agent") && !contains(keys(aws_eks_addon.before_compute), "eks-node-monitoring-agent")
    error_message = "The node monitoring agent (a DaemonSet) is installed with the add-ons that need nodes."
  }

  assert {
    condition     = contains(keys(data.aws_eks_addon_version.latest), "eks-node-monitoring-agent")
    error_message = "Without a pinned version the agent gets the most recent one."
  }
}

run "node_monitoring_agent_version_from_addons" {
  command = plan

  variables {
    node_monitoring_agent = true
    addons = {
      "vpc-cni"                   = {}
      "kube-proxy"                = {}
      "coredns"                   = {}
      "eks-pod-identity-agent"    = {}
      "eks-node-monitoring-agent" = { version = "v1.4.0-eksbuild.2" }
    }
  }

  assert {
    condition     = aws_eks_addon.this["eks-node-monitoring-agent"].addon_version == "v1.4.0-eksbuild.2"
    error_message = "A version pinned in addons wins over the most recent one."
  }
}

run "node_monitoring_agent_off" {
  command = plan

  assert {
    condition     = !contains(keys(aws_eks_addon.this), "eks-node-monitoring-agent")
    error_message = "node_monitoring_agent = false (the module default) installs no agent."
  }
}
