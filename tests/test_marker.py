"""Only a marker in its own place claims ownership: the description's last line, exactly as
sentry-alerts writes it. Marker-like text in a runbook, an SLA note or a name claims nothing
(issue 12)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.model import Marker

MARKER = Marker("victim", "get-api-a").text()


@pytest.mark.parametrize("description", [
    f"Runbook: https://wiki.example.com/{MARKER}\n{Marker('intruder', 'x').text()}",
    f"{MARKER}\nRunbook: https://wiki.example.com/",  # not the last line
    f"SLA: p95 < 500 ms. {MARKER}",  # not a line of its own
    MARKER.replace(". Edit", ", Edit"),  # not the exact form
    MARKER + " (and more)",
])
def test_marker_text_out_of_its_place_claims_nothing(description):
    found = Marker.find(description)
    assert found is None or found.policy == "intruder"


def test_the_marker_written_is_found_with_trailing_whitespace():
    assert Marker.find(f"SLA: p95 < 500 ms.\n{MARKER}\n  ") == Marker("victim", "get-api-a")


def policy(name: str, transaction: str, runbook: str | None = None) -> str:
    extra = f"\n    runbook: {runbook!r}" if runbook else ""
    return f"""\
version: 1
name: {name}
organization: acme
defaults:
  project: backend
  environment: production
  notify:
    - slack: {{channel: "#ops-alerts", channel_id: C0OPS00001}}
transactions:
  - transaction: {transaction}
    sla: {{p95: 500ms}}
    alert: {{critical: 750ms}}{extra}
"""


@pytest.mark.parametrize("profile,backend", [("saas-2026", "monitors"),
                                             ("self-hosted-25", "alert-rules")])
def test_a_runbook_cannot_claim_another_policys_alert(emulator_factory, tmp_path, profile,
                                                      backend):
    emu = emulator_factory(profile=profile)
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}

    def cli(*args: str):
        return CliRunner().invoke(app, [*args, "--backend", backend], env=env)

    victim = tmp_path / "victim.yaml"
    victim.write_text(policy("victim", "GET /api/a"))
    assert cli("apply", str(victim), "--auto-approve").exit_code == 0
    [(_, _, item)] = managed_objects(emu, "acme", "victim")
    stolen = Marker.find(item["description"])
    assert stolen is not None
    # The intruder's runbook carries the victim's exact marker line, for another key.
    fake = Marker("victim", stolen.key + "-gone").text()
    intruder = tmp_path / "intruder.yaml"
    intruder.write_text(policy("intruder", "GET /api/b", runbook=f"https://wiki/x\n{fake}"))
    applied = cli("apply", str(intruder), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    # The victim's plan with --prune must not see the intruder's alert as its own (a delete).
    planned = cli("plan", str(victim), "--prune", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert len(managed_objects(emu, "acme", "intruder")) == 1
