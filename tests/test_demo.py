"""`sentry-alerts demo` (what `make demo` runs): the whole loop against the embedded emulator,
explained, exit 0, and it never shows the token."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN


def test_demo_runs_the_whole_loop_and_explains_it():
    # The default profile; the legacy API's variant of the drift edit is covered by
    # test_e2e_plan_apply (edit_threshold_in_ui on alert rules).
    result = CliRunner().invoke(app, ["demo"])
    out = result.output
    assert result.exit_code == 0, out

    commands = re.findall(r"^\$ sentry-alerts (\w+)", out, flags=re.M)
    assert commands == ["validate", "plan", "apply", "plan", "plan", "apply", "plan"]
    assert [int(c) for c in re.findall(r"\(exit code (\d)\)", out)] == [0, 0, 0, 0, 2, 0, 0]
    steps = re.findall(r"── Step (\d): ([^─]+)", out)
    assert [n for n, _ in steps] == ["1", "2", "3", "4", "5", "6"]

    assert "Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged." in out
    assert "Apply complete: 2 created" in out
    assert out.count("Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged.") == 2
    assert "critical: 1000 ms → 750 ms" in out  # the UI edit shows as drift, then is repaired
    assert "ownership marker" in out and "--auto-approve" in out  # it explains, not just runs

    assert ALERTS_TOKEN not in out and "sntryu_" not in out
