"""A no-change plan costs list pages plus a fixed handful of lookups: at most ceil(N/100) + 6
requests for N alerts (issue 9), never one per alert, on both APIs. Planning monitors on a
server that also serves the legacy API asks that API only when there is something to create."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN

N = 201  # three pages of 100


def policy_text(n: int) -> str:
    head = ("version: 1\nname: budget\norganization: acme\ndefaults:\n  project: backend\n"
            "  environment: production\n  owner: team:backend\n"
            '  notify:\n    - slack: {channel: "#ops-alerts", channel_id: C0OPS00001}\n'
            "transactions:\n")
    return head + "".join(f"  - transaction: GET /api/r{i}\n    sla: {{p95: 500ms}}\n"
                          f"    alert: {{critical: 750ms}}\n" for i in range(n))


@pytest.mark.parametrize(("profile", "backend"), [("self-hosted-26.7", "monitors"),
                                                  ("self-hosted-26.7", "alert-rules")])
def test_a_no_change_plan_stays_within_the_request_budget(emulator_factory, tmp_path, profile,
                                                          backend):
    emu = emulator_factory(profile=profile)
    policy = tmp_path / "budget.yaml"
    policy.write_text(policy_text(N))
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    made = CliRunner().invoke(app, ["apply", "--auto-approve", str(policy), "--backend", backend],
                              env=env)
    assert made.exit_code == 0, made.output[-2000:]
    emu.request_log.clear()
    planned = CliRunner().invoke(app, ["plan", "--detailed-exitcode", str(policy),
                                       "--backend", backend], env=env)
    assert planned.exit_code == 0, planned.output[-2000:]
    calls = emu.calls()
    assert len(calls) <= math.ceil(N / 100) + 6, calls
    assert all(method == "GET" for method, _, _ in calls)
    assert not [c for c in calls if backend == "monitors" and "/alert-rules/" in c[1]]
