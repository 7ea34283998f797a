"""apply's own safety layer, beneath which the backend already retries (test_e2e_faults.py).

When a change still fails without a clear answer, apply lists the live alerts once and checks:
done -> reported done; half done -> finished; not there -> reported, never sent blindly again.
To reach that layer, these tests wrap the real backend (talking to the emulator) so one call
loses its answer *after* the backend did its work, or fails before it: exactly what a network
failure beyond the backend's retry budget looks like to apply.
"""

from __future__ import annotations

import io
from collections import Counter

import pytest

from sentry_alerts.apply import apply_plan
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.errors import SentryAlertsError, SentryAPIError
from sentry_alerts.model import Marker
from sentry_alerts.plan import plan_policy
from sentry_alerts.terminal import apply_and_report

POLICY = """\
version: 1
name: layered
organization: acme
defaults:
  project: backend
  name: "{transaction} latency"
  notify:
    - slack: {channel: "#ops-alerts", channel_id: C0OPS00001}
transactions:
  - transaction: GET /a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: GET /b
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""

LOST = SentryAPIError("Sentry could not be reached for POST /x: the connection was reset.",
                      status=None, call="POST /x")


class LosesAnswers:
    """The real backend, but the named calls raise LOST: after doing the work
    (`after=True`, the answer was lost) or instead of it."""

    def __init__(self, real, *, method: str, after: bool, times: int = 1) -> None:
        self.real, self.method, self.after, self.times = real, method, after, times
        self.name = real.name

    def __getattr__(self, attr):
        return getattr(self.real, attr)

    def _call(self, method: str, *args):
        if method == self.method and self.times > 0:
            self.times -= 1
            if self.after:
                getattr(self.real, method)(*args)
            raise LOST
        return getattr(self.real, method)(*args)

    def create(self, alert):
        return self._call("create", alert)

    def update(self, alert):
        return self._call("update", alert)

    def delete(self, alert):
        return self._call("delete", alert)


@pytest.fixture
def setup(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    path = tmp_path / "layered.yaml"
    path.write_text(POLICY)

    def planned():
        return plan_policy(str(path), token=ALERTS_TOKEN, url=emu.url, org="acme",
                           connect_options={"uncertain_settle": 0.01})

    def keys() -> Counter:
        return Counter(Marker.find(item["description"]).key
                       for _, _, item in managed_objects(emu, "acme", "layered"))

    return emu, path, planned, keys


def test_create_whose_answer_was_lost_is_confirmed_not_repeated(setup):
    _, _, planned, keys = setup
    p = planned()
    backend = LosesAnswers(p.connection.backend, method="create", after=True)
    result = apply_plan(p.plan, backend, parallelism=1)
    assert result.ok, result.outcomes
    assert sorted(o.status for o in result.outcomes) == ["created", "created"]
    assert any("confirmed after a lost answer" in o.message for o in result.outcomes)
    assert keys() == Counter({"get-a": 1, "get-b": 1})
    assert not planned().plan.has_changes


def test_create_that_never_happened_is_reported_and_the_next_run_converges(setup):
    _, _, planned, keys = setup
    p = planned()
    backend = LosesAnswers(p.connection.backend, method="create", after=False)
    out = io.StringIO()
    result = apply_and_report(p.plan, backend, out=out, err=io.StringIO(), parallelism=1)
    assert not result.ok and len(result.failed) == 1
    assert "it is not in Sentry, so running apply again is safe" in result.failed[0].message
    assert "Apply incomplete: 1 created" in out.getvalue()
    assert sum(keys().values()) == 1

    again = planned()
    assert again.plan.summary()["create"] == 1
    assert apply_plan(again.plan, again.connection.backend).ok
    assert keys() == Counter({"get-a": 1, "get-b": 1})


def test_update_whose_answer_was_lost_is_confirmed(setup):
    _, path, planned, _ = setup
    assert apply_plan(planned().plan, planned().connection.backend).ok
    path.write_text(POLICY.replace("critical: 750ms}\n  - transaction: GET /b",
                                   "critical: 900ms}\n  - transaction: GET /b"))
    p = planned()
    assert p.plan.summary()["update"] == 1
    backend = LosesAnswers(p.connection.backend, method="update", after=True)
    result = apply_plan(p.plan, backend)
    assert result.ok and result.outcomes[0].status == "updated"
    assert "confirmed" in result.outcomes[0].message
    assert not planned().plan.has_changes


def test_a_plan_from_an_incomplete_listing_is_not_applied(setup):
    emu, _, planned, keys = setup
    from dataclasses import replace

    p = planned()
    partial = replace(p.plan, listing_complete=False, listing_problems=("page 2 failed",))
    with pytest.raises(SentryAlertsError, match="incomplete list of live alerts"):
        apply_plan(partial, p.connection.backend)
    assert keys() == Counter()


def test_a_plan_for_another_backend_is_refused(setup):
    _, _, planned, keys = setup
    from dataclasses import replace

    p = planned()
    with pytest.raises(SentryAlertsError, match="made for the alert-rules backend"):
        apply_plan(replace(p.plan, backend="alert-rules"), p.connection.backend)
    assert keys() == Counter()


def test_incomplete_listing_is_shown_and_never_applied(emulator_factory, tmp_path):
    """A listing page that keeps failing (past the client's retry budget) leaves the plan
    incomplete: the alerts on that page look missing, so applying would duplicate them."""
    from sentry_alerts.render.text import render_plan

    emu = emulator_factory(profile="self-hosted-26.7")
    path = tmp_path / "big.yaml"
    path.write_text(POLICY.split("transactions:")[0] + "transactions:\n" + "".join(
        f"  - transaction: GET /r{i}\n    sla: {{p95: 500ms}}\n    alert: {{critical: 750ms}}\n"
        for i in range(105)))

    def planned():
        return plan_policy(str(path), token=ALERTS_TOKEN, url=emu.url, org="acme",
                           backend="monitors", connect_options={"retry_budget": 0.3})

    first = planned()
    assert apply_plan(first.plan, first.connection.backend, parallelism=8).ok
    emu.faults.failing_page(2, times=None, route="detectors.list")
    broken = planned()
    assert not broken.plan.listing_complete
    assert broken.plan.summary()["create"] == 5  # page 2's alerts look missing
    assert "Warning: the list of live alerts is incomplete" in render_plan(broken.plan)
    with pytest.raises(SentryAlertsError, match="could duplicate"):
        apply_plan(broken.plan, broken.connection.backend)
    assert len(managed_objects(emu, "acme", "layered")) == 105


@pytest.mark.parametrize("profile", ["saas-2026", "self-hosted-25"])
def test_a_plan_saved_as_json_applies_exactly_like_the_original(emulator_factory, tmp_path,
                                                                profile):
    """Saved plans (next release) are `to_dict` → JSON → `from_dict`; the backends' private data
    (trigger and action ids, workflow ids) must survive so the update hits the same objects."""
    import json

    from sentry_alerts.plan import Plan

    emu = emulator_factory(profile=profile)
    path = tmp_path / "layered.yaml"
    path.write_text(POLICY)

    def planned():
        return plan_policy(str(path), token=ALERTS_TOKEN, url=emu.url, org="acme")

    first = planned()
    assert apply_plan(first.plan, first.connection.backend).ok
    before = {obj_id for _, obj_id, _ in managed_objects(emu, "acme", "layered")}
    path.write_text(POLICY.replace("critical: 750ms}\n  - transaction: GET /b",
                                   "critical: 900ms, warning: 800ms}\n  - transaction: GET /b"))
    p = planned()
    saved = json.dumps(p.plan.to_dict())
    assert ALERTS_TOKEN not in saved
    loaded = Plan.from_dict(json.loads(saved))
    assert loaded == p.plan
    assert [dict(c.live.extra) for c in loaded.changes] == [dict(c.live.extra)
                                                           for c in p.plan.changes]
    result = apply_plan(loaded, p.connection.backend)
    assert result.ok and result.count("updated") == 1, result.outcomes
    assert {obj_id for _, obj_id, _ in managed_objects(emu, "acme", "layered")} == before
    assert not planned().plan.has_changes


def test_conflicts_are_skipped_while_the_rest_is_applied(setup):
    emu, path, planned, keys = setup
    first = planned()
    assert apply_plan(first.plan, first.connection.backend).ok
    [(kind, obj_id)] = [(k, i) for k, i, item in managed_objects(emu, "acme", "layered")
                        if Marker.find(item["description"]).key == "get-a"]
    emu.edit(kind, obj_id, {"description": "made by hand"}, org="acme")  # now unmanaged
    path.write_text(POLICY + "  - transaction: GET /c\n    sla: {p95: 500ms}\n"
                             "    alert: {critical: 750ms}\n")
    p = planned()
    assert (p.plan.summary()["conflict"], p.plan.summary()["create"]) == (1, 1)
    out = io.StringIO()
    result = apply_and_report(p.plan, p.connection.backend, out=out, err=io.StringIO())
    assert not result.ok and result.count("created") == 1 and len(result.skipped) == 1
    text = out.getvalue()
    assert "! conflict get-a" in text and "not applied" in text
    assert "Apply incomplete: 1 created, 0 updated, 0 deleted; 1 conflict not applied." in text
    assert keys() == Counter({"get-b": 1, "get-c": 1})  # the hand-made alert stays unmarked


def test_delete_changes_are_executed_and_an_already_gone_alert_is_fine(setup):
    """`delete` only appears in pruning plans (next release); apply already executes it."""
    from dataclasses import replace

    emu, path, planned, keys = setup
    first = planned()
    assert apply_plan(first.plan, first.connection.backend).ok
    path.write_text(POLICY.split("  - transaction: GET /b")[0])  # GET /b left the policy
    p = planned()
    [orphan] = p.plan.of("orphan")
    pruning = replace(p.plan, prune=True, changes=tuple(
        replace(c, action="delete") if c is orphan else c for c in p.plan.changes))
    out = io.StringIO()
    result = apply_and_report(pruning, p.connection.backend, out=out, err=io.StringIO())
    assert result.ok and result.count("deleted") == 1, out.getvalue()
    assert keys() == Counter({"get-a": 1})
    again = apply_plan(pruning, p.connection.backend)  # the same plan again: already gone
    assert again.ok and again.count("deleted") == 1
