"""Plan summaries in Terraform's language, from hand-written `show -json` fragments."""

from __future__ import annotations

from toolkit.plan.summary import markdown, plan_line, summarise


def _rc(address: str, rtype: str, actions: list[str], mode: str = "managed") -> dict[str, object]:
    return {"address": address, "type": rtype, "mode": mode, "change": {"actions": actions}}


PLAN = {"resource_changes": [
    _rc("aws_vpc.this", "aws_vpc", ["create"]),
    _rc("aws_subnet.a", "aws_subnet", ["update"]),
    _rc("aws_kms_key.logs", "aws_kms_key", ["delete", "create"]),
    _rc("aws_eks_cluster.this", "aws_eks_cluster", ["create", "delete"]),
    _rc("aws_secretsmanager_secret.x", "aws_secretsmanager_secret", ["delete"]),
    _rc("aws_iam_role.r", "aws_iam_role", ["no-op"]),
    _rc("data.aws_region.current", "aws_region", ["read"], mode="data"),
]}


def test_counts_follow_terraform() -> None:
    s = summarise(PLAN)
    # Terraform counts a replacement as one add and one destroy.
    assert s["counts"] == {"add": 3, "change": 1, "destroy": 3, "replace": 2, "read": 1}
    assert plan_line(s["counts"]) == "Plan: 3 to add, 1 to change, 3 to destroy."
    assert [c["address"] for c in s["changes"]] == sorted(c["address"] for c in s["changes"])
    assert "aws_iam_role.r" not in {c["address"] for c in s["changes"]}


def test_protected_destroys_and_replacements_are_flagged() -> None:
    s = summarise(PLAN)
    flagged = {(c["address"], c["action"]) for c in s["protected_changes"]}
    assert flagged == {("aws_kms_key.logs", "replace"), ("aws_eks_cluster.this", "replace"),
                       ("aws_secretsmanager_secret.x", "delete")}


def test_no_changes_line_and_markdown() -> None:
    assert plan_line({"add": 0, "change": 0, "destroy": 0}).startswith("No changes.")
    s = summarise(PLAN) | {"environment": "prod", "region": "us-east", "aws_region": "us-east-1", "mode": "sandbox"}
    md = markdown(s)
    assert "**Plan: 3 to add, 1 to change, 3 to destroy.**" in md
    assert "Sandbox plan" in md and ":warning: `-/+` `aws_kms_key.logs`" in md
    assert "-/+ aws_eks_cluster.this" in md and "~   aws_subnet.a" in md
