"""Membership and access: what a token sees depends on its user's teams (notes §5.2).

Sentry's list endpoints without `project` cover only the projects of the user's teams; `-1`
covers every accessible project; explicit ids answer 403 for a project the user cannot access.
The emulator follows that (sentry_alerts/emulator/access.py), and the client always says which
projects it means, so a user on no team neither misses alerts nor creates them twice.
"""

from __future__ import annotations

import pytest
import requests
from policy_texts import CART_AND_CHECKOUT, policy_head
from seeds import default_seed
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ADMIN_TOKEN, ALERTS_TOKEN, OUTSIDER_TOKEN

ORG = "/api/0/organizations/acme"
LISTS = {"monitors": ["detectors", "workflows"], "alert-rules": ["alert-rules"]}
COMBOS = [("saas-2026", "monitors"), ("self-hosted-25", "alert-rules"),
          ("self-hosted-26.7", "monitors"), ("self-hosted-26.7", "alert-rules")]
POLICY = policy_head("members") + CART_AND_CHECKOUT


def closed_seed() -> dict:
    """The default seed with Open Membership off: Carol (on no team) can access nothing."""
    return default_seed(open_membership=False)


def run(emu, policy, *args, token=OUTSIDER_TOKEN, backend="monitors"):
    argv = [*args, str(policy), "--backend", backend]
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme",
           "NO_COLOR": "1"}
    return CliRunner().invoke(app, argv, env=env)


def listed(emu, what: str, token: str, **params) -> requests.Response:
    return requests.get(f"{emu.url}{ORG}/{what}/", params=params,
                        headers={"Authorization": f"Bearer {token}"}, timeout=5)


@pytest.mark.parametrize(("profile", "backend"), COMBOS)
def test_a_user_on_no_team_neither_misses_nor_duplicates(emulator_factory, tmp_path, profile,
                                                          backend):
    emu = emulator_factory(profile=profile)
    policy = tmp_path / "members.yaml"
    policy.write_text(POLICY)
    made = run(emu, policy, "apply", "--auto-approve", token=ALERTS_TOKEN, backend=backend)
    assert made.exit_code == 0, made.output
    # What the client used to send: no `project`. Carol is on no team, so Sentry lists nothing.
    for what in LISTS[backend]:
        bare = listed(emu, what, OUTSIDER_TOKEN)
        assert bare.status_code == 200 and bare.json() == [], what
    planned = run(emu, policy, "plan", "--detailed-exitcode", backend=backend)
    assert planned.exit_code == 0, planned.output
    assert "create" not in planned.output.replace("0 to create", "")
    applied = run(emu, policy, "apply", "--auto-approve", backend=backend)
    assert applied.exit_code == 0, applied.output
    assert len(managed_objects(emu, "acme", "members")) == 2  # no duplicate


def test_lists_follow_membership_and_the_project_parameter(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7")
    body = {"name": "n", "type": "metric_issue",
            "dataSources": [{"queryType": 1, "dataset": "events_analytics_platform",
                             "aggregate": "p95(span.duration)", "query": "is_transaction:true",
                             "timeWindow": 300, "environment": None,
                             "eventTypes": ["trace_item_span"]}],
            "conditionGroup": {"logicType": "any", "conditions": [
                {"type": "gt", "comparison": 1, "conditionResult": 75},
                {"type": "lte", "comparison": 1, "conditionResult": 0}]},
            "config": {"detectionType": "static"}}
    made = requests.post(f"{emu.url}{ORG}/projects/backend/detectors/", json=body,
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=5)
    assert made.status_code == 201, made.text
    ids = [d["id"] for d in listed(emu, "detectors", ADMIN_TOKEN).json()]
    assert ids  # Alice is on the project's team
    assert listed(emu, "detectors", OUTSIDER_TOKEN).json() == []
    assert [d["id"] for d in listed(emu, "detectors", OUTSIDER_TOKEN, project="-1").json()] == ids
    assert [d["id"] for d in listed(emu, "detectors", OUTSIDER_TOKEN, project="21").json()] == ids
    bad = listed(emu, "detectors", OUTSIDER_TOKEN, project="backend")
    assert (bad.status_code, bad.json()) == (
        400, {"detail": "Invalid project parameter. Values must be numbers."})
    unknown = listed(emu, "detectors", OUTSIDER_TOKEN, project="999")
    assert unknown.status_code == 403


def test_without_open_membership_explicit_ids_are_refused(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7", seed=closed_seed())
    for what in ("detectors", "workflows", "alert-rules"):
        refused = listed(emu, what, OUTSIDER_TOKEN, project="21")
        assert refused.status_code == 403, what
        assert refused.json() == {"detail": "You do not have permission to perform this action."}
        assert listed(emu, what, OUTSIDER_TOKEN, project="-1").json() == [], what
        assert listed(emu, what, ADMIN_TOKEN, project="21").status_code == 200, what


@pytest.mark.parametrize(("profile", "backend"), [("saas-2026", "monitors"),
                                                  ("self-hosted-25", "alert-rules")])
def test_a_project_the_token_cannot_see_is_one_sentence(emulator_factory, tmp_path, profile,
                                                        backend):
    emu = emulator_factory(profile=profile, seed=closed_seed())
    policy = tmp_path / "members.yaml"
    policy.write_text(POLICY)
    result = run(emu, policy, "plan", "--no-fallback", backend=backend)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "cannot see project 'backend' of organization 'acme'" in text
    assert "team" in text and "Open Membership" in text
    assert "Traceback" not in result.output and OUTSIDER_TOKEN not in result.output
    assert managed_objects(emu, "acme", "members") == []
