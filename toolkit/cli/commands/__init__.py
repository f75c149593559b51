"""One module per verb; COMMANDS is what the group registers, in --help order."""

from __future__ import annotations

import click

from toolkit.cli.commands import (
    apply,
    bootstrap,
    config,
    cost,
    doctor,
    drift,
    gate,
    plan,
    prices,
    regions,
    render,
    report,
    sandbox,
    scan,
    unlock,
    validate,
)

COMMANDS: list[click.Command] = [
    regions.command, config.group, render.command, plan.command, validate.command, validate.test_command,
    bootstrap.command, apply.command, drift.command, doctor.command, doctor.providers_group, scan.command,
    gate.command, report.command, unlock.command, sandbox.group, cost.command, prices.group,
]
