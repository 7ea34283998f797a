"""plan checks every name the policy uses against the organization before it proposes anything,
and lists the valid choices; apply never creates half an alert.

Before: a project that does not exist planned as a clean `+ create` (exit 0); apply then failed
per alert with a vague 404 and, on the monitors API, left an empty notification workflow."""

from __future__ import annotations

import pytest
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN

GOOD = """\
  - transaction: GET /api/cart
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""
COMBOS = [("saas-2026", "monitors"), ("self-hosted-25", "alert-rules")]


def run(emu, *args: str):
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), env=env)


def our_workflows(emu) -> list[dict]:
    with emu.lock:
        return [w for w in emu.state.org("acme").workflows.values()
                if "sentry-alerts policy" in str(w.get("name"))]


@pytest.mark.parametrize("profile,backend", COMBOS)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_project_that_does_not_exist_fails_plan_with_the_choices(
        emulator_factory, tmp_path, profile, backend, command):
    emu = emulator_factory(profile=profile)
    path = tmp_path / "refs.yaml"
    path.write_text(policy_head("refs") + GOOD + """\
  - transaction: GET /api/search
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    project: bakend
""")
    extra = ["--auto-approve"] if command == "apply" else []
    result = run(emu, command, str(path), "--backend", backend, *extra)
    assert result.exit_code == 1, result.output
    assert "+ create" not in result.stdout  # nothing is proposed, not even the valid alert
    err = result.stderr
    assert err.startswith(f"error: policy {path} names 1 thing that organization acme does "
                          "not have, so nothing was planned or changed")
    assert ("  - project 'bakend' does not exist in organization acme, or the token cannot see "
            "it; projects there: backend, frontend; did you mean 'backend'? (line 16)") in err
    assert "Traceback" not in result.output and ALERTS_TOKEN not in result.output
    assert not emu.calls("POST") and managed_objects(emu, "acme", "refs") == []
    assert our_workflows(emu) == []


def test_every_unknown_name_is_listed_at_once_with_what_exists(emulator, tmp_path):
    path = tmp_path / "refs.yaml"
    path.write_text(policy_head("refs") + """\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    environment: prod
    owner: team:backnd
    notify:
      - email: user:dave@acme.example
      - slack: {channel: "#ops-alerts", workspace: Other}
  - transaction: GET /api/b
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    environment: prod
""")
    result = run(emulator, "plan", str(path))
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert "names 4 things" in lines[0]
    assert lines[1:] == [
        "  - team 'backnd' does not exist in organization acme; teams there: backend, sre; did "
        "you mean 'backend'? (line 13)",
        "  - no member of organization acme has the email 'dave@acme.example'; members: "
        "alice@acme.example, bob@acme.example, carol@acme.example (line 13)",
        "  - Slack workspace 'Other' is not installed in organization acme; installed: Acme "
        "(line 13)",
        "  - environment 'prod' does not exist in project backend (Sentry knows an environment "
        "once an event arrived with it); environments there: production, staging; did you mean "
        "'production'? (lines 13, 21)",
    ]
    assert not emulator.calls("POST")


def test_a_bad_slack_channel_name_fails_plan_before_any_request(emulator, tmp_path):
    path = tmp_path / "refs.yaml"
    path.write_text(policy_head("refs", slack_channel_id=False).replace('"#ops-alerts"',
                                                                        '"#ops alerts"') + GOOD)
    result = run(emulator, "plan", str(path))
    assert result.exit_code == 1
    assert "Slack channel '#ops alerts' has a space" in result.stderr
    assert emulator.request_log == []


@pytest.mark.parametrize("status", [400, 404])
def test_a_refused_create_leaves_no_empty_workflow_behind(emulator, tmp_path, status):
    path = tmp_path / "refs.yaml"
    path.write_text(policy_head("refs") + GOOD)
    emulator.faults.add("error", route="detectors.create", status=status, times=None,
                        body={"detail": "The requested resource does not exist"})
    result = run(emulator, "apply", str(path), "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "✗ create get-api-cart" in result.stdout and "Apply incomplete: 0 created" in result.stdout
    assert len(emulator.calls("POST", "/workflows/")) == 1  # it was made for the monitor ...
    assert our_workflows(emulator) == []  # ... and removed when the monitor was refused

    emulator.faults.clear()
    again = run(emulator, "apply", str(path), "--auto-approve")
    assert again.exit_code == 0 and "Apply complete: 1 created" in again.stdout
    assert len(our_workflows(emulator)) == 1
