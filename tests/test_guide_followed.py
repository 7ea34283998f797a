"""A person follows the guide, and sentry-alerts then recognises what they made.

The "person" reads only the generated page (its Values to copy table, notifications table and
description block) and makes the requests Sentry's UI makes when those values are entered,
against the emulator. Then `sentry-alerts plan` must agree with the page's "check it worked"
promise: new UI → unchanged; legacy UI (no description field) → a conflict that
`apply --adopt` takes over, after which plan shows no changes.
"""

from __future__ import annotations

import time
from pathlib import Path

import requests
from guide_support import fences, inline_parts, parse, section_tokens, tables
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ADMIN_TOKEN, ALERTS_TOKEN
from sentry_alerts.guide import build_guide
from sentry_alerts.policy import load_policy

POLICY = policy_head("followed", alert_name=False, slack_channel_id=False) + """\
  - transaction: GET /api/propostas
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: POST /api/simulacao-credito
    sla: {p95: 500ms}
    alert: {critical: 750ms, warning: 600ms, resolve: 500ms}
"""
# Sentry's interval labels → seconds (what the UI sends), written out independently.
INTERVAL_SECONDS = {"5 minutes": 300, "10 minutes": 600, "15 minutes": 900, "30 minutes": 1800,
                    "1 hour": 3600, "2 hours": 7200, "4 hours": 14400, "1 day": 86400}
WINDOW_MINUTES = {"5 minute interval": 5, "10 minute interval": 10, "1 hour interval": 60}
API_DATASET = {"Spans": "events_analytics_platform", "Duration": "events_analytics_platform",
               "Transaction Duration": "transactions"}


class SentryUI:
    """What Sentry's web UI sends when a person fills its forms (admin session)."""

    def __init__(self, emu) -> None:
        self.base = emu.url + "/api/0/organizations/acme"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"

    def get(self, path: str, **params):
        r = self.session.get(self.base + path, params=params, timeout=10)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict) -> requests.Response:
        r = self.session.post(self.base + path, json=body, timeout=10)
        assert r.status_code in (200, 201, 202), (r.status_code, r.text)
        return r

    def team_id(self, slug: str) -> str:
        return next(t["id"] for t in self.get("/teams/") if t["slug"] == slug)

    def slack_integration(self) -> str:
        found = self.get("/integrations/", providerKey="slack")
        assert len(found) == 1  # the page said: the only Slack workspace
        return found[0]["id"]


def page_values(page: str, column: int = 0) -> tuple[dict, list, str]:
    tokens = parse(page)
    table = tables(section_tokens(tokens, "Values to copy"))[0]
    rows = {row[0].content: inline_parts(row[1 + column]) for row in table[1:]}
    notify = [t for t in tables(tokens) if t[0][1].content == "Action"][0]
    targets = [(inline_parts(r[1])["strong"][0], inline_parts(r[3])["code"][0]) for r in notify[1:]]
    return rows, targets, fences(tokens)[0]


def number(cell: dict) -> float | None:
    return float(cell["code"][0]) if cell["code"] else None


def run(emu, *args: str):
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), env=env)


def _policy(tmp_path: Path) -> Path:
    path = tmp_path / "followed.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def test_monitors_made_by_following_the_guide_plan_as_unchanged(emulator_factory,
                                                                 tmp_path) -> None:
    emu = emulator_factory(profile="saas-2026")
    policy_path = _policy(tmp_path)
    policy = load_policy(policy_path)
    guide = build_guide(policy, ui="monitors")
    ui = SentryUI(emu)
    workflows: dict[str, str] = {}  # Alert name -> id: later pages "Connect Existing Alerts"
    for spec in policy.specs:
        v, targets, description = page_values(guide.pages[f"monitors/{spec.key}.md"])
        assert v["Dataset"]["strong"] == ["Spans"]
        conditions = [{"type": "gt", "comparison": number(v["High priority"]),
                       "conditionResult": 75}]
        if number(v["Medium priority"]) is not None:
            conditions.append({"type": "gt", "comparison": number(v["Medium priority"]),
                               "conditionResult": 50})
        if v["Resolve"]["strong"][0] == "Custom":
            conditions.append({"type": "lt", "comparison": number(v["Resolve"]),
                               "conditionResult": 0})
        else:  # Default: resolves below the lowest threshold
            lowest = min(c["comparison"] for c in conditions)
            conditions.append({"type": "lte", "comparison": lowest, "conditionResult": 0})
        detector = ui.post(f"/projects/{v['Project']['code'][0]}/detectors/", {
            "name": v["Monitor name"]["code"][0],
            "type": "metric_issue",
            "description": description,
            "owner": f"team:{ui.team_id(v['Default assignee']['code'][0])}",
            "dataSources": [{
                "queryType": 1,
                "dataset": API_DATASET[v["Dataset"]["strong"][0]],
                "aggregate": f"{v['Function']['code'][0]}({v['Attribute']['code'][0]})",
                "query": v["Filter"]["code"][0],
                "timeWindow": INTERVAL_SECONDS[v["Interval"]["strong"][0]],
                "environment": v["Environment"]["code"][0],
                "eventTypes": ["trace_item_span"],
            }],
            "conditionGroup": {"logicType": "any", "conditions": conditions},
            "config": {"detectionType": "static"},
        }).json()
        alert_name = v["Alert name"]["code"][0]
        if alert_name in workflows:  # "Connect Existing Alerts"
            wf = ui.get(f"/workflows/{workflows[alert_name]}/")
            r = ui.session.put(f"{ui.base}/workflows/{wf['id']}/", json={
                **{k: wf[k] for k in ("name", "enabled", "config", "triggers", "actionFilters")},
                "detectorIds": [*wf["detectorIds"], detector["id"]]}, timeout=10)
            assert r.status_code == 200, r.text
            continue
        actions = [{"type": "slack", "integrationId": ui.slack_integration(),
                    "config": {"targetType": "specific", "targetDisplay": channel},
                    "data": {}, "status": "active"} for kind, channel in targets]
        created = ui.post("/workflows/", {
            "name": alert_name, "enabled": True, "environment": None,
            "config": {"frequency": 0},
            "triggers": {"logicType": "any-short", "conditions": []},
            "actionFilters": [{"logicType": "any-short", "conditions": [
                {"type": "issue_priority_greater_or_equal", "comparison": 50,
                 "conditionResult": True}], "actions": actions}],
            "detectorIds": [detector["id"]],
        }).json()
        workflows[alert_name] = created["id"]
    assert len(workflows) == 1  # both monitors share one Alert, as the pages say

    result = run(emu, "plan", str(policy_path), "--backend", "monitors", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "2 unchanged" in result.output
    applied = run(emu, "apply", str(policy_path), "--backend", "monitors", "--auto-approve")
    assert applied.exit_code == 0 and "No changes." in applied.output, applied.output
    assert len(ui.get("/workflows/")) == 1  # apply reused the hand-made Alert


def test_legacy_alert_made_by_following_the_guide_is_adopted(emulator_factory,
                                                             tmp_path) -> None:
    emu = emulator_factory(profile="self-hosted-25")
    policy_path = _policy(tmp_path)
    policy = load_policy(policy_path)
    guide = build_guide(policy, ui="alerts")
    ui = SentryUI(emu)
    for spec in policy.specs:
        # The wizard of this server lists "Duration": the first column.
        v, targets, _ = page_values(guide.pages[f"alerts/{spec.key}.md"], column=0)
        assert v["Alert type"]["strong"] == ["Duration"]
        actions = [{"type": "slack", "targetType": "specific", "targetIdentifier": channel,
                    "integrationId": int(ui.slack_integration())} for kind, channel in targets]
        triggers = [{"label": "critical", "alertThreshold": number(v["Critical"]),
                     "actions": actions}]
        if number(v["Warning"]) is not None:
            triggers.append({"label": "warning", "alertThreshold": number(v["Warning"]),
                             "actions": actions})
        body = {
            "name": v["Alert name"]["code"][0],
            "projects": [v["Project"]["code"][0]],
            "environment": v["Environment"]["code"][0],
            "dataset": API_DATASET["Duration"],
            "queryType": 1,
            "eventTypes": ["trace_item_span"],
            "aggregate": f"{v['Function']['code'][0]}({v['Attribute']['code'][0]})",
            "query": v["Filter"]["code"][0],
            "timeWindow": WINDOW_MINUTES[v["Time window"]["strong"][0]],
            "thresholdType": 0,
            "triggers": triggers,
            "owner": f"team:{ui.team_id(v['Team']['code'][0])}",
        }
        if number(v["Resolved"]) is not None:
            body["resolveThreshold"] = number(v["Resolved"])
        r = ui.post("/alert-rules/", body)
        if r.status_code == 202:  # Sentry looks the Slack channel up in the background
            task = r.json()["uuid"]
            project = v["Project"]["code"][0]
            for _ in range(100):
                status = requests.get(
                    f"{emu.url}/api/0/projects/acme/{project}/alert-rule-task/{task}/",
                    headers=ui.session.headers, timeout=10).json()
                if status["status"] != "pending":
                    break
                time.sleep(0.05)
            assert status["status"] == "success", status

    plan = run(emu, "plan", str(policy_path), "--backend", "alert-rules", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output  # the page warned: a conflict until adopted
    assert "conflict" in plan.output
    adopt = run(emu, "apply", str(policy_path), "--backend", "alert-rules", "--adopt",
                "--auto-approve")
    assert adopt.exit_code == 0, adopt.output
    # Adoption only wrote the marker: every other value already matched the policy.
    assert adopt.output.count("updated (description).") == len(policy.specs), adopt.output
    again = run(emu, "plan", str(policy_path), "--backend", "alert-rules", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
