"""Smaller divergences between the first emulator and Sentry's code (notes §5.2), seen through
the CLI: a deleted monitor's links outlive it for a while; a monitor turned off by hand; the
monitor quota's bare-list error."""

from __future__ import annotations

import requests
from policy_texts import policy_head
from seeds import default_seed
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ADMIN_TOKEN, ALERTS_TOKEN

TWO = policy_head("pending") + """\
  - transaction: GET /a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: GET /b
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""


def run(emu, policy, *args):
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "SENTRY_ORG": "acme",
           "NO_COLOR": "1"}
    return CliRunner().invoke(app, [*args, str(policy)], env=env)


def our_workflows(emu) -> list[dict]:
    with emu.lock:
        return [w for w in emu.state.org("acme").workflows.values()
                if "sentry-alerts policy pending" in w["name"]]


def test_a_link_to_a_deleted_monitor_does_not_keep_our_workflow(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026", detector_deletion_delay=None)  # task never runs
    policy = tmp_path / "pending.yaml"
    policy.write_text(TWO)
    assert run(emu, policy, "apply", "--auto-approve").exit_code == 0
    [workflow] = our_workflows(emu)
    assert len(workflow["detectorIds"]) == 2
    # Someone deletes GET /a's monitor in Sentry: hidden at once, its link stays.
    [first] = [obj_id for _, obj_id, item in managed_objects(emu, "acme", "pending")
               if item["name"].startswith("GET /a")]
    gone = requests.delete(f"{emu.url}/api/0/organizations/acme/detectors/{first}/",
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=5)
    assert gone.status_code == 204
    assert len(our_workflows(emu)[0]["detectorIds"]) == 2
    # GET /b leaves the policy too; pruning deletes its monitor, and with it our workflow,
    # whose only other link points at a monitor that no longer exists.
    policy.write_text(policy_head("pending").replace("transactions:\n", "transactions: []\n"))
    pruned = run(emu, policy, "apply", "--auto-approve", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert managed_objects(emu, "acme", "pending") == []
    assert our_workflows(emu) == []


def test_a_monitor_turned_off_by_hand_is_a_visible_change(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    policy = tmp_path / "pending.yaml"
    policy.write_text(TWO)
    assert run(emu, policy, "apply", "--auto-approve").exit_code == 0
    [first, *_] = managed_objects(emu, "acme", "pending")
    emu.edit("detector", first[1], {"enabled": False}, org="acme")  # the UI's toggle
    planned = run(emu, policy, "plan", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "enabled: no (turned off in Sentry) → yes" in planned.output
    assert run(emu, policy, "apply", "--auto-approve").exit_code == 0
    assert managed_objects(emu, "acme", "pending")[0][2]["enabled"] is True
    assert run(emu, policy, "plan", "--detailed-exitcode").exit_code == 0


def test_the_monitor_quota_is_one_sentence(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026", seed=default_seed(metric_detector_limit=1))
    policy = tmp_path / "pending.yaml"
    policy.write_text(TWO)
    result = run(emu, policy, "apply", "--auto-approve")
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert 'Sentry said "Used 1/1 of allowed metric_issue monitors."' in text
    assert "as many monitors as its plan allows" in text
    assert "Traceback" not in text and ALERTS_TOKEN not in text
    assert len(managed_objects(emu, "acme", "pending")) == 1


def test_a_refused_first_create_leaves_no_empty_workflow(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026", seed=default_seed(metric_detector_limit=0))
    policy = tmp_path / "pending.yaml"
    policy.write_text(TWO)
    assert run(emu, policy, "apply", "--auto-approve").exit_code == 1
    assert our_workflows(emu) == []
