"""What a plan and an apply cost in requests, and in Slack lookups, as the policy grows (issue
11): pinned by counting the requests the emulator answered, never by timing.

- A no-change plan of N monitors: one request per 100 monitors plus a constant (the org, the
  backend probe, projects, the one page of workflows, teams, Slack integrations), never one
  per alert; detectors and workflows are listed at the same time, with the same semantics as
  one after the other (a first-page failure is raised, a later one makes the listing
  incomplete).
- Legacy apply: Sentry's asynchronous Slack lookup runs once per distinct channel per run; the
  other creates send the channel id it found and are answered at once.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from backend_support import fast_connect

from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.errors import SentryAPIError
from sentry_alerts.plan import plan_policy
from sentry_alerts.terminal import apply_and_report

FAST = {"uncertain_settle": 0.05, "poll_interval": 0.05, "task_deadline": 10.0,
        "retry_budget": 1.0}
LOOKUP_REQUESTS = 6  # org, backend probe, projects, workflows page, teams, Slack integrations


def policy_text(count: int, channel_of=lambda i: "#ops-alerts") -> str:
    transactions = "".join(f"""
  - transaction: GET /api/r{i}
    sla: {{p95: 500ms}}
    alert: {{critical: 750ms}}
    notify: [{{slack: "{channel_of(i)}"}}]""" for i in range(count))
    return f"""\
version: 1
name: scale
organization: acme
defaults:
  project: backend
  owner: team:backend
  name: "{{transaction}} latency"
transactions:{transactions}
"""


def plan(emu, path: Path, backend: str = "auto"):
    return plan_policy(str(path), token=ALERTS_TOKEN, url=emu.url, org="acme",
                       backend=backend, connect_options=FAST)


def apply(emu, path: Path, backend: str = "auto", parallelism: int = 8):
    planned = plan(emu, path, backend)
    out = io.StringIO()
    result = apply_and_report(planned.plan, planned.connection.backend, out=out,
                              err=io.StringIO(), parallelism=parallelism)
    return result, out.getvalue()


@pytest.mark.parametrize("count", [150, 350])
def test_a_no_change_plan_costs_a_request_per_100_monitors_plus_a_constant(
        emulator_factory, tmp_path, count):
    emu = emulator_factory(profile="self-hosted-26.7")
    path = tmp_path / "p.yaml"
    path.write_text(policy_text(count))
    result, out = apply(emu, path)
    assert result.ok, out

    emu.request_log.clear()
    again = plan(emu, path).plan
    assert again.summary()["unchanged"] == count and not again.has_changes
    assert len(emu.calls()) == math.ceil(count / 100) + LOOKUP_REQUESTS, emu.calls()
    assert len(emu.calls("GET", "/detectors/")) == math.ceil(count / 100) + 1  # + the probe


def test_the_first_page_of_monitors_comes_first_and_its_failure_is_raised(emulator_factory):
    """Listing concurrently keeps the sequential semantics: the detectors' first page is sent
    alone, and when it fails that error is raised and nothing else is listed."""
    emu = emulator_factory(profile="self-hosted-26.7")
    conn = fast_connect(emu, retry_budget=0.5)
    emu.faults.failing_page(1, route="detectors.list", times=None)
    emu.request_log.clear()
    with pytest.raises(SentryAPIError) as failure:
        conn.backend.list_alerts(["backend"])
    assert failure.value.status == 500
    assert emu.calls("GET", "/workflows/") == []


def test_a_failing_later_page_of_workflows_makes_the_listing_incomplete(emulator_factory,
                                                                        tmp_path):
    emu = emulator_factory(profile="self-hosted-26.7")
    path = tmp_path / "p.yaml"
    path.write_text(policy_text(3))  # one workflow (one target set), and 100 of people's
    apply(emu, path)
    with emu.lock:
        org = emu.state.org("acme")
        template = next(iter(org.workflows.values()))
        for n in range(100):  # people's workflows, linked to no monitor: listed too
            wid = emu.state.ids("workflow").next()
            org.workflows[wid] = {**template, "id": str(wid), "name": f"theirs {n}",
                                  "detectorIds": []}
        org.links.invalidate()
    emu.faults.failing_page(2, route="workflows.list", times=None)
    planned = plan(emu, path)
    assert not planned.plan.listing_complete
    assert any("alerts (workflows) stopped after 100" in p
               for p in planned.plan.listing_problems)


def test_legacy_apply_looks_each_slack_channel_up_once(emulator_factory, tmp_path):
    """12 alerts to two channels named without ids, 8 at a time: two asynchronous lookups
    (202 and task polling); the other ten creates send the id found and get a 201."""
    emu = emulator_factory(profile="self-hosted-25", slack_task_delay=0.3)
    path = tmp_path / "p.yaml"
    path.write_text(policy_text(12, lambda i: "#backend" if i % 3 == 0 else "#ops-alerts"))
    result, out = apply(emu, path, backend="alert-rules")
    assert result.ok and result.count("created") == 12, out

    creates = emu.calls("POST", "/alert-rules/")
    assert sorted(status for _, _, status in creates) == [201] * 10 + [202] * 2
    with emu.lock:
        rules = list(emu.state.org("acme").alert_rules.values())
    channel_ids = {a["targetIdentifier"]: a["inputChannelId"]
                   for r in rules for t in r["triggers"] for a in t["actions"]}
    assert channel_ids == {"#ops-alerts": "C0OPS00001", "#backend": "C0BACKEND1"}

    emu.request_log.clear()
    assert not plan(emu, path, backend="alert-rules").plan.has_changes


def test_a_failed_slack_lookup_is_not_repeated_for_the_same_channel(emulator_factory,
                                                                   tmp_path):
    """The bot is not in #leadership: the first alert's lookup fails; the other alerts to it
    are reported without being sent (no second search through the workspace)."""
    emu = emulator_factory(profile="self-hosted-25")
    path = tmp_path / "p.yaml"
    path.write_text(policy_text(5, lambda i: "#leadership" if i < 3 else "#ops-alerts"))
    result, out = apply(emu, path, backend="alert-rules", parallelism=4)
    assert not result.ok and result.count("created") == 2 and len(result.failed) == 3, out
    statuses = sorted(status for _, _, status in emu.calls("POST", "/alert-rules/"))
    # One lookup per channel (#leadership failed, #ops-alerts found); the second alert to
    # #ops-alerts sent the id; the other two to #leadership were not sent.
    assert statuses == [201, 202, 202]
    messages = sorted(o.message for o in result.failed)
    assert sum(m.startswith("Sentry could not save alert") for m in messages) == 1
    assert all("does not exist or has not been granted access" in m for m in messages)
    assert sum(m.startswith("not sent: Slack channel #leadership could not be looked up")
               for m in messages) == 2
