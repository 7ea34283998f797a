"""Alerts Sentry migrated from legacy metric rules (notes §5.2): the migrated detector keeps our
marker, Sentry's own workflow notifies Slack. Plan must show one clear change that replaces that
workflow, never a second workflow that notifies Slack twice; and a policy applied with the
legacy backend, planned with monitors on a server that serves both, must show a migration, not
duplicates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_texts import CART_AND_CHECKOUT, policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN

POLICY = policy_head("moved") + CART_AND_CHECKOUT


def run(emu, policy: Path, *args: str, backend: str = "monitors"):
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "SENTRY_ORG": "acme",
           "NO_COLOR": "1"}
    return CliRunner().invoke(app, [*args, str(policy), "--backend", backend], env=env)


def slack_deliveries(emu) -> dict[str, int]:
    """For each managed monitor: how many linked workflows send to Slack #ops-alerts."""
    with emu.lock:
        org = emu.state.org("acme")
        out = {}
        for _, detector_id, item in managed_objects(emu, "acme", "moved"):
            count = 0
            for workflow in org.workflows.values():
                if str(detector_id) not in [str(d) for d in workflow.get("detectorIds") or []]:
                    continue
                count += sum(1 for f in workflow.get("actionFilters") or []
                             for a in f.get("actions") or []
                             if a.get("type") == "slack"
                             and a["config"].get("targetIdentifier") == "C0OPS00001") > 0
            out[item["name"]] = count
        return out


@pytest.fixture
def migrated(emulator_factory, tmp_path):
    """self-hosted 26.7: the policy applied through the legacy API, then Sentry's migration."""
    emu = emulator_factory(profile="self-hosted-26.7")
    policy = tmp_path / "moved.yaml"
    policy.write_text(POLICY)
    made = run(emu, policy, "apply", "--auto-approve", backend="alert-rules")
    assert made.exit_code == 0, made.output
    assert len(emu.migrate_legacy_rules()) == 2
    return emu, policy


def test_plan_shows_one_takeover_per_migrated_alert(migrated):
    emu, policy = migrated
    assert sorted(slack_deliveries(emu).values()) == [1, 1]  # Sentry's migrated workflows
    planned = run(emu, policy, "plan", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    text = " ".join(planned.output.split())
    assert "Plan: 0 to create, 2 to update" in text
    assert text.count("Sentry migrated this alert from a legacy alert rule") == 2
    assert "'Critical - Slack #ops-alerts, Warning - Slack #ops-alerts'" in text
    assert "'Slack #ops-alerts'" in text


def test_apply_replaces_the_migrated_workflow_so_slack_is_notified_once(migrated):
    emu, policy = migrated
    applied = run(emu, policy, "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "0 created, 2 updated" in applied.output
    assert sorted(slack_deliveries(emu).values()) == [1, 1]
    with emu.lock:
        names = [w["name"] for w in emu.state.org("acme").workflows.values()]
    assert not any(n.startswith(("Slack #", "Critical - ")) for n in names), names
    again = run(emu, policy, "plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_a_legacy_rule_not_yet_migrated_is_replaced_not_duplicated(emulator_factory, tmp_path):
    """A self-hosted upgrade to 26.7: rules made through the legacy API, no monitors yet."""
    emu = emulator_factory(profile="self-hosted-26.7")
    policy = tmp_path / "moved.yaml"
    policy.write_text(POLICY)
    assert run(emu, policy, "apply", "--auto-approve", backend="alert-rules").exit_code == 0
    planned = run(emu, policy, "plan", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    text = " ".join(planned.output.split())
    assert "Plan: 2 to create" in text
    assert text.count("replaces the legacy alert rule") == 2
    applied = run(emu, policy, "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    kinds = sorted(kind for kind, _, _ in managed_objects(emu, "acme", "moved"))
    assert kinds == ["detector", "detector"]  # the legacy rules are gone, nothing twice
    assert run(emu, policy, "plan", "--detailed-exitcode").exit_code == 0
    legacy = run(emu, policy, "plan", "--detailed-exitcode", backend="alert-rules")
    assert "2 to create" in " ".join(legacy.output.split())  # the legacy API holds none now


def test_the_saas_seed_of_migrated_rules_plans_as_takeovers(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026", seed="migrated-from-legacy")
    policy = Path(__file__).resolve().parents[1] / "policies" / "critical-endpoints.yaml"
    planned = run(emu, policy, "plan", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    text = " ".join(planned.output.split())
    assert "0 to create" in text
    assert text.count("Sentry migrated this alert from a legacy alert rule") == 2


def test_migration_keeps_the_direction_and_the_comparison_of_a_rule(emulator_factory):
    """`migrate_metric_data_conditions`: a rule that fires below becomes `lt` conditions with a
    `gte` resolve; a percent-change rule keeps its comparison delta (seconds) in the config."""
    import requests

    from sentry_alerts.emulator import ADMIN_TOKEN

    emu = emulator_factory(profile="self-hosted-26.7")
    ids = []
    for extra in ({"thresholdType": 1}, {"comparisonDelta": 60}):
        body = {"name": f"rule {len(ids)}", "projects": ["backend"], "timeWindow": 5,
                "dataset": "events_analytics_platform", "queryType": 1,
                "eventTypes": ["trace_item_span"], "aggregate": "p95(span.duration)",
                "query": 'is_transaction:true transaction:"GET /x"', "thresholdType": 0,
                "triggers": [{"label": "critical", "alertThreshold": 10, "actions": [
                    {"type": "email", "targetType": "team", "targetIdentifier": "12"}]}],
                **extra}
        r = requests.post(f"{emu.url}/api/0/organizations/acme/alert-rules/", json=body,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=5)
        assert r.status_code == 201, r.text
        ids.append(int(r.json()["id"]))
    made = emu.migrate_legacy_rules()
    with emu.lock:
        below, percent = (emu.state.org("acme").detectors[int(made[str(i)])] for i in ids)
    assert [(c["type"], c["conditionResult"]) for c in below["conditionGroup"]["conditions"]] \
        == [("lt", 75), ("gte", 0)]
    assert percent["config"]["detectionType"] == "percent"
    assert percent["config"]["comparisonDelta"] == 3600
