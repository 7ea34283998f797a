"""`--prune`: alerts this policy manages that left it are deleted, and nothing else, ever.

- the matching rules, on hand-built alerts (pure `diff_alerts`);
- the real CLI against the emulator: only this policy's orphan is deleted; an unmarked alert
  and another policy's alert (even one with the same key) are untouched;
- a failed or partial listing (the emulator's failing page): nothing is deleted, the plan says
  why, and apply refuses.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentry_alerts.apply import apply_plan
from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.emulator.monitors_store import PENDING_DELETION
from sentry_alerts.errors import SentryAlertsError, SentryAPIError
from sentry_alerts.model import AlertSpec, SlackTarget, desired_alert
from sentry_alerts.plan import diff_alerts, plan_policy
from sentry_alerts.render.markdown import render_markdown
from sentry_alerts.render.text import render_plan

# --- the rules ------------------------------------------------------------------------------

POLICY = "shop"


def want(key: str, transaction: str, policy: str = POLICY):
    return desired_alert(AlertSpec(
        policy=policy, key=key, name=f"{transaction} latency", project="backend",
        transaction=transaction, statistic="p95", window_minutes=5, critical_ms=750,
        targets=(SlackTarget("#ops-alerts"),)), "spans")


def live(alert, remote_id: str, **changes):
    return replace(alert, remote_id=remote_id, version="v1", **changes)


def actions(changes):
    return [(c.action, c.key, c.remote_id) for c in changes]


def test_prune_turns_orphans_and_duplicates_into_deletes_and_nothing_else():
    kept = want("a", "GET /a")
    alerts = [
        live(kept, "1"),
        live(kept, "2"),  # a second copy of key a: deleted even without --prune
        live(want("gone", "GET /gone"), "3"),  # this policy, key left the policy: orphan
        live(want("gone", "GET /gone", policy="payments"), "4"),  # same key, other policy
        live(want("x", "GET /gone"), "5", marker=None, description="by hand"),  # unmarked
    ]
    without = diff_alerts(POLICY, [kept], alerts)
    assert actions(without) == [("unchanged", "a", "1"), ("delete", "a", "2"),
                                ("orphan", "gone", "3")]
    pruned = diff_alerts(POLICY, [kept], alerts, prune=True)
    assert actions(pruned) == [("unchanged", "a", "1"), ("delete", "a", "2"),
                               ("delete", "gone", "3")]
    assert all(c.live.marker.policy == POLICY for c in pruned if c.action == "delete")
    assert "--prune" in pruned[2].note


def test_prune_never_resolves_conflicts_by_deleting():
    desired = [want("a", "GET /a")]
    hand = live(desired[0], "9", marker=None, description="made by hand")
    theirs = live(want("b", "GET /a", policy="payments"), "10")
    for other in (hand, theirs):
        [change] = diff_alerts(POLICY, desired, [other], prune=True)
        assert change.action == "conflict"


# --- through the CLI against the emulator ---------------------------------------------------------

COMBOS = [("saas-2026", "monitors"), ("self-hosted-25", "alert-rules")]


def policy_text(name: str, transactions: list[str], template: str = "{transaction} latency",
                extra: str = "") -> str:
    txs = "".join(f"\n  - transaction: {t}\n    alert: {{critical: 750ms, metric: p95}}"
                  for t in transactions)
    return f"""\
version: 1
name: {name}
organization: acme
defaults:
  project: backend
  environment: production
  name: "{template}"
  notify:
    - slack: {{channel: "#ops-alerts", channel_id: C0OPS00001}}
{extra}transactions:{txs}
"""


class Org:
    def __init__(self, emu, backend: str, tmp: Path) -> None:
        self.emu, self.backend, self.tmp = emu, backend, tmp

    def run(self, *args: str):
        env = {"SENTRY_URL": self.emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1",
               "SENTRY_ORG": None}
        return CliRunner().invoke(app, [*args, "--backend", self.backend], env=env)

    def write(self, name: str, transactions: list[str], **kw) -> str:
        path = self.tmp / f"{name}.yaml"
        path.write_text(policy_text(name, transactions, **kw))
        return str(path)

    def apply(self, path: str, *extra: str):
        result = self.run("apply", path, "--auto-approve", *extra)
        assert result.exit_code == 0, result.output
        return result

    def snapshot(self) -> dict:
        """Every stored detector / alert rule Sentry still serves (a detector whose deletion
        is pending is gone) by (kind, id) -> (name, description)."""
        with self.emu.lock:
            org = self.emu.state.org("acme")
            return {(kind, obj_id): (item.get("name"), item.get("description"))
                    for kind, store in (("detector", org.detectors),
                                        ("alert_rule", org.alert_rules))
                    for obj_id, item in store.items() if not item.get(PENDING_DELETION)}

    def unmark(self, policy: str) -> None:
        """Turn a policy's alerts into hand-made ones: no marker in the description."""
        for kind, obj_id, _ in managed_objects(self.emu, "acme", policy):
            self.emu.edit(kind, obj_id, {"description": "made by hand in the UI"}, org="acme")


@pytest.fixture(params=COMBOS, ids=[f"{p}-{b}" for p, b in COMBOS])
def org(request, emulator_factory, tmp_path) -> Org:
    profile, backend = request.param
    return Org(emulator_factory(profile=profile), backend, tmp_path)


def test_prune_deletes_only_this_policys_alert_that_left_it(org):
    shop = org.write("shop", ["GET /api/cart", "GET /api/products", "GET /api/old"])
    org.apply(shop)
    # Another policy with an alert under the same key, and a hand-made (unmarked) alert.
    org.apply(org.write("payments", ["GET /api/old"], template="{transaction} (payments)"))
    org.apply(org.write("hand", ["GET /api/legacy"]))
    org.unmark("hand")
    before = org.snapshot()
    assert len(before) == 5

    org.write("shop", ["GET /api/cart", "GET /api/products"])  # GET /api/old leaves the policy
    kept = org.run("plan", shop, "--detailed-exitcode")
    assert kept.exit_code == 0, kept.output  # an orphan is kept: not a pending change
    assert "orphan get-api-old" in kept.stdout and "1 orphan kept" in kept.stdout

    plan = org.run("plan", shop, "--prune", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 0 to create, 0 to update, 1 to delete, 2 unchanged." in plan.stdout
    assert '- delete get-api-old  "GET /api/old latency"' in plan.stdout

    applied = org.run("apply", shop, "--prune", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 0 created, 0 updated, 1 deleted." in applied.stdout
    after = org.snapshot()
    gone = set(before) - set(after)
    assert [before[k][0] for k in gone] == ["GET /api/old latency"]
    assert set(after) == set(before) - gone  # the rest is untouched...
    assert all(after[k] == before[k] for k in after)  # ...and unchanged
    assert org.run("plan", shop, "--prune", "--detailed-exitcode").exit_code == 0


def test_prune_plan_in_markdown_warns_and_json_lists_the_delete(org):
    shop = org.write("shop", ["GET /api/cart", "GET /api/old"])
    org.apply(shop)
    org.write("shop", ["GET /api/cart"])
    md = org.run("plan", shop, "--prune", "--format", "markdown")
    assert md.exit_code == 0, md.output
    assert "> [!WARNING]\n> **This plan deletes 1 alert from Sentry**" in md.stdout
    data = json.loads(org.run("plan", shop, "--prune", "--format", "json").stdout)
    assert data["options"]["prune"] is True
    [delete] = [c for c in data["changes"] if c["action"] == "delete"]
    assert delete["live"]["marker"] == {"policy": "shop", "key": "get-api-old"}


def test_a_saved_prune_plan_deletes_and_a_tampered_one_never_deletes_other_alerts(org, tmp_path):
    shop = org.write("shop", ["GET /api/cart", "GET /api/old"])
    org.apply(shop)
    org.apply(org.write("payments", ["GET /api/pay"]))
    org.write("shop", ["GET /api/cart"])
    out = str(tmp_path / "plan.json")
    assert org.run("plan", shop, "--prune", "--out", out).exit_code == 0

    # Point the deletion at the other policy's alert (id and version as listed now).
    data = json.loads(Path(out).read_text())
    [theirs] = [c["live"] for c in json.loads(org.run(
        "plan", org.tmp.joinpath("payments.yaml").as_posix(), "--format", "json").stdout)[
        "changes"]]
    [delete] = [c for c in data["changes"] if c["action"] == "delete"]
    original = dict(delete["live"])
    delete["live"].update(remote_id=theirs["remote_id"], version=theirs["version"],
                          extra=theirs["extra"])
    Path(out).write_text(json.dumps(data))
    before = org.snapshot()
    tampered = org.run("apply", out)
    assert tampered.exit_code == 1, tampered.output
    assert "is not managed by policy shop, so it is never deleted" in tampered.stderr
    assert org.snapshot() == before

    delete["live"] = original
    Path(out).write_text(json.dumps(data))
    applied = org.run("apply", out)
    assert applied.exit_code == 0, applied.output
    assert "1 deleted" in applied.stdout
    assert len(managed_objects(org.emu, "acme", "payments")) == 1


# --- failed and partial listings ---------------------------------------------------------------

FAST = {"retry_budget": 0.5, "uncertain_settle": 0.05}
LIST_ROUTE = {"monitors": "detectors.list", "alert-rules": "alert_rules.list"}
MANY = [f"GET /api/item-{i:03d}" for i in range(101)]  # two pages of 100


@pytest.fixture(params=[("self-hosted-26.7", "monitors"), ("self-hosted-25", "alert-rules")],
                ids=["monitors", "alert-rules"])
def big_org(request, emulator_factory, tmp_path) -> tuple[Org, str]:
    profile, backend = request.param
    o = Org(emulator_factory(profile=profile), backend, tmp_path)
    path = o.write("shop", MANY)
    planned = plan_policy(path, token=ALERTS_TOKEN, url=o.emu.url, org=None, backend=backend,
                          connect_options=FAST)
    # One at a time, so ids follow policy order. Like Sentry, the emulator lists detectors
    # oldest first and alert rules newest first: three alerts of the first page leave the
    # policy, and one that stays in it is alone on the second page.
    result = apply_plan(planned.plan, planned.connection.backend, parallelism=1)
    assert result.ok and result.count("created") == 101
    o.removed = MANY[:3] if backend == "monitors" else MANY[-3:]
    o.write("shop", [t for t in MANY if t not in o.removed])
    return o, path


def test_partial_listing_deletes_nothing_and_says_why(big_org):
    org, path = big_org
    org.emu.faults.failing_page(2, route=LIST_ROUTE[org.backend], times=None)
    before = org.snapshot()
    planned = plan_policy(path, token=ALERTS_TOKEN, url=org.emu.url, org=None,
                          backend=org.backend, prune=True, connect_options=FAST)
    plan = planned.plan
    assert not plan.listing_complete and plan.prune
    assert plan.count("delete") == 0
    assert plan.count("orphan") == 3  # listed, kept
    assert plan.count("create") == 1  # the one on the missing page looks new

    text = render_plan(plan)
    assert "Pruning was skipped" in text
    assert "**Pruning was skipped:**" in render_markdown(plan)
    with pytest.raises(SentryAlertsError, match="incomplete list of live alerts"):
        apply_plan(plan, planned.connection.backend)
    org.emu.faults.clear()
    assert org.snapshot() == before
    assert org.emu.calls("DELETE") == []


def test_failed_listing_deletes_nothing(big_org):
    org, path = big_org
    # Monitors: the workflows listing (after the detectors) fails outright; alert rules: the
    # listing's first page (and so the backend probe) fails.
    route = "workflows.list" if org.backend == "monitors" else LIST_ROUTE[org.backend]
    org.emu.faults.failing_page(1, route=route, times=None)
    before = org.snapshot()
    with pytest.raises(SentryAPIError):
        plan_policy(path, token=ALERTS_TOKEN, url=org.emu.url, org=None, backend=org.backend,
                    prune=True, connect_options=FAST)
    org.emu.faults.clear()
    assert org.snapshot() == before
    assert org.emu.calls("DELETE") == []


def test_with_a_complete_listing_the_same_plan_prunes_exactly_the_three(big_org):
    org, path = big_org
    planned = plan_policy(path, token=ALERTS_TOKEN, url=org.emu.url, org=None,
                          backend=org.backend, prune=True, connect_options=FAST)
    assert planned.plan.listing_complete
    assert sorted(c.name for c in planned.plan.of("delete")) == [
        f"{t} latency" for t in org.removed]
    assert render_plan(planned.plan).count("- delete ") == 3


def test_apply_refuses_a_plan_that_deletes_an_alert_of_another_policy(org):
    """Defence in depth below the saved-plan checks: apply itself never deletes an alert whose
    marker names another policy (or none), whatever plan it is given."""
    path = org.write("payments", ["GET /api/pay"])
    org.apply(path)
    planned = plan_policy(path, token=ALERTS_TOKEN, url=org.emu.url, org=None,
                          backend=org.backend, connect_options=FAST)
    [theirs] = planned.plan.changes
    for marker in (theirs.live.marker, None):
        bad = replace(planned.plan, policy_name="shop", prune=True, changes=(
            replace(theirs, action="delete", live=replace(theirs.live, marker=marker)),))
        with pytest.raises(SentryAlertsError, match="does not manage"):
            apply_plan(bad, planned.connection.backend)
    assert len(managed_objects(org.emu, "acme", "payments")) == 1
    assert org.emu.calls("DELETE") == []
