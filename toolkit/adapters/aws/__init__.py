"""boto3 edge of the toolkit: state bucket bootstrap, preflight checks, endpoint overrides.

Inputs are plain values (not the settings models), so the CLI and the plan pipeline map
their models onto these calls. Nothing here imports click.
"""

from __future__ import annotations

from toolkit.adapters.aws.bootstrap import (
    LIFECYCLE_RULE_ID,
    POLICY_SIDS,
    BootstrapResult,
    bootstrap_state_bucket,
    desired_policy_statements,
)
from toolkit.adapters.aws.endpoints import active_endpoint, backend_endpoint_overrides, endpoint_source
from toolkit.adapters.aws.preflight import (
    PreflightResult,
    caller_account,
    check_account,
    check_gpu_offerings,
    check_residency,
    check_state_bucket,
    region_availability_zones,
    run_preflight,
)
from toolkit.adapters.aws.session import aws_errors, new_session

__all__ = [
    "LIFECYCLE_RULE_ID",
    "POLICY_SIDS",
    "BootstrapResult",
    "PreflightResult",
    "active_endpoint",
    "aws_errors",
    "backend_endpoint_overrides",
    "bootstrap_state_bucket",
    "caller_account",
    "check_account",
    "check_gpu_offerings",
    "check_residency",
    "check_state_bucket",
    "desired_policy_statements",
    "endpoint_source",
    "new_session",
    "region_availability_zones",
    "run_preflight",
]
