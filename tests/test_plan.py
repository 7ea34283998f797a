"""The diff at the heart of the plan: pure functions on hand-built alerts (no backend).

The end-to-end behaviour against the emulator is in test_e2e_plan_apply.py; these pin the
matching and ownership rules, the policy-terms rendering of changes, and the plan's plain-data
round trip that saved plans rely on.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from alert_specs import alert_spec

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.model import (
    AlertSpec,
    EmailTarget,
    Marker,
    SlackTarget,
    desired_alert,
)
from sentry_alerts.plan import (
    PLAN_FORMAT_VERSION,
    Plan,
    diff_alerts,
    field_changes,
)
from sentry_alerts.render.text import render_plan, summary_line

POLICY = "critical-endpoints"


def spec(key: str, transaction: str, critical: float = 750, **kw) -> AlertSpec:
    return alert_spec(**{"policy": POLICY, "key": key, "transaction": transaction,
                         "name": f"{transaction} p95 > {critical:g} ms", "critical_ms": critical,
                         **kw})


def want(key: str, transaction: str, critical: float = 750, **kw):
    return desired_alert(spec(key, transaction, critical, **kw), "spans")


def live_copy(alert, remote_id: str, **changes):
    """What a backend would list for an alert it created: the same values, an id, Sentry's echo
    quirks (floats, channel id) that must not count as changes."""
    targets = tuple(replace(t, channel_id="C0OPS") if isinstance(t, SlackTarget) else t
                    for t in alert.targets)
    echoed = replace(alert, remote_id=remote_id, version="v1", targets=targets,
                     window_minutes=float(alert.window_minutes),
                     critical_ms=float(alert.critical_ms) + 1e-9)
    return replace(echoed, **changes)


def actions(changes):
    return [(c.action, c.key) for c in changes]


def test_empty_org_creates_every_desired_alert_in_policy_order():
    desired = [want("b", "GET /b"), want("a", "GET /a")]
    changes = diff_alerts(POLICY, desired, [])
    assert actions(changes) == [("create", "b"), ("create", "a")]
    assert all(c.live is None and not c.fields for c in changes)


def test_echo_quirks_are_not_changes():
    desired = [want("a", "GET /a")]
    changes = diff_alerts(POLICY, desired, [live_copy(desired[0], "10")])
    assert actions(changes) == [("unchanged", "a")]


def test_one_threshold_change_shows_exactly_that_field_in_policy_terms():
    desired = [want("a", "GET /a", critical=900)]
    live = [live_copy(want("a", "GET /a", critical=750), "10", name=desired[0].name)]
    changes = diff_alerts(POLICY, desired, live)
    assert actions(changes) == [("update", "a")]
    [fc] = [f for f in changes[0].fields if f.field == "critical_ms"]
    assert (fc.old, fc.new) == ("750 ms", "900 ms")
    assert [f.field for f in changes[0].fields] == ["critical_ms"]


def test_window_targets_and_owner_render_in_policy_terms():
    desired = want("a", "GET /a", window_minutes=60,
                   targets=(SlackTarget("#ops-alerts"), EmailTarget("team", "backend")))
    live = live_copy(want("a", "GET /a"), "10", owner="team:frontend")
    by_field = {f.field: f for f in field_changes(desired, live)}
    assert (by_field["window_minutes"].old, by_field["window_minutes"].new) == ("5m", "1h")
    assert by_field["targets"].old == "Slack #ops-alerts"
    assert by_field["targets"].new == "email team:backend, Slack #ops-alerts"
    assert (by_field["owner"].old, by_field["owner"].new) == ("team:frontend", "team:backend")


def test_a_different_channel_id_for_the_same_channel_is_a_change():
    desired = want("a", "GET /a", targets=(SlackTarget("#ops-alerts", channel_id="C1"),))
    live = live_copy(want("a", "GET /a"), "10")  # echoes channel id C0OPS
    assert [f.field for f in field_changes(desired, live)] == ["targets"]


def test_other_policies_and_unmarked_alerts_with_other_names_are_ignored():
    desired = [want("a", "GET /a")]
    foreign = live_copy(want("a", "GET /x"), "20", marker=Marker("other-policy", "a"),
                        name="GET /x from the other policy")
    unmarked = live_copy(want("z", "GET /z"), "21", marker=None, description="made by hand")
    changes = diff_alerts(POLICY, desired, [foreign, unmarked])
    assert actions(changes) == [("create", "a")]


def test_unmanaged_same_name_alert_is_a_conflict_and_adopt_takes_it_over():
    desired = [want("a", "GET /a")]
    hand_made = live_copy(desired[0], "30", marker=None, description="made in the UI")
    [conflict] = diff_alerts(POLICY, desired, [hand_made])
    assert conflict.action == "conflict"
    assert conflict.live.remote_id == "30" and "--adopt" in conflict.note

    [adopted] = diff_alerts(POLICY, desired, [hand_made], adopt=True)
    assert adopted.action == "update" and adopted.live.remote_id == "30"
    [desc] = adopted.fields
    assert desc.field == "description" and "Managed by sentry-alerts" in desc.new
    assert "adopts" in adopted.note


def test_adopt_refuses_to_guess_between_two_unmanaged_alerts_with_the_name():
    desired = [want("a", "GET /a")]
    twins = [live_copy(desired[0], rid, marker=None, description="x") for rid in ("31", "32")]
    [change] = diff_alerts(POLICY, desired, twins, adopt=True)
    assert change.action == "conflict" and "id 31, id 32" in change.note


def test_same_name_managed_by_another_policy_is_a_conflict_even_with_adopt():
    desired = [want("a", "GET /a")]
    theirs = live_copy(desired[0], "40", marker=Marker("payments", "a1"))
    [change] = diff_alerts(POLICY, desired, [theirs], adopt=True)
    assert change.action == "conflict" and "policy payments" in change.note


def test_managed_alert_that_left_the_policy_is_an_orphan_and_listed_after_desired():
    desired = [want("a", "GET /a")]
    gone = live_copy(want("old", "GET /old"), "50")
    changes = diff_alerts(POLICY, desired, [gone, live_copy(desired[0], "51")])
    assert actions(changes) == [("unchanged", "a"), ("orphan", "old")]
    assert changes[1].live.remote_id == "50" and "kept" in changes[1].note


def test_copies_of_one_key_keep_the_oldest_and_delete_the_younger():
    """Two applies at once leave copies: the oldest is managed (updated if it differs), the
    younger copies are deletes, a change the plan shows (issue 12)."""
    desired = [want("a", "GET /a", critical=900)]
    stale_old = live_copy(want("a", "GET /a", critical=750), "7", name=desired[0].name)
    good_new = live_copy(desired[0], "8")
    changes = diff_alerts(POLICY, desired, [good_new, stale_old])
    assert actions(changes) == [("update", "a"), ("delete", "a")]
    assert changes[0].live.remote_id == "7" and changes[1].live.remote_id == "8"
    assert "keeps the oldest, id 7" in changes[1].note


def test_copies_that_both_differ_update_the_oldest():
    desired = [want("a", "GET /a", critical=900)]
    copies = [live_copy(want("a", "GET /a"), rid, name=desired[0].name) for rid in ("12", "9")]
    changes = diff_alerts(POLICY, desired, copies)
    assert actions(changes) == [("update", "a"), ("delete", "a")]
    assert changes[0].live.remote_id == "9" and changes[1].live.remote_id == "12"


def make_plan(changes, **kw) -> Plan:
    values = dict(format_version=PLAN_FORMAT_VERSION, policy_name=POLICY,
                  policy_path="policies/critical-endpoints.yaml", policy_hash="sha256:abc",
                  org="acme", url="https://sentry.io/", backend="monitors",
                  backend_reason="the server serves /detectors/", dataset="spans",
                  dataset_reason="the server accepts spans", created_at="2026-11-24T15:00:00Z",
                  listing_complete=True, changes=tuple(changes))
    values.update(kw)
    return Plan(**values)


def mixed_changes():
    desired = [want("new", "GET /new"), want("a", "GET /a", critical=900), want("b", "GET /b"),
               want("c", "GET /c")]
    live = [
        live_copy(want("a", "GET /a"), "1", name=desired[1].name),
        live_copy(desired[2], "2"),
        live_copy(desired[3], "3", marker=None, description="hand-made"),
        live_copy(want("old", "GET /old"), "4"),
    ]
    return diff_alerts(POLICY, desired, live)


def test_plan_round_trips_through_json_exactly():
    plan = make_plan(mixed_changes())
    data = json.loads(json.dumps(plan.to_dict()))
    again = Plan.from_dict(data)
    assert again == plan
    assert again.to_dict() == plan.to_dict()
    assert data["summary"] == {"create": 1, "update": 1, "delete": 0, "unchanged": 1,
                               "conflict": 1, "orphan": 1, "duplicate": 0}
    assert "token" not in json.dumps(data).lower()


def test_plan_from_another_format_version_is_refused_clearly():
    data = make_plan(mixed_changes()).to_dict()
    data["format_version"] = 99
    with pytest.raises(SentryAlertsError, match="format version 99"):
        Plan.from_dict(data)
    with pytest.raises(SentryAlertsError, match="not a valid sentry-alerts plan"):
        Plan.from_dict({"format_version": PLAN_FORMAT_VERSION})


def test_pending_changes_decide_has_changes():
    assert make_plan(mixed_changes()).has_changes
    only_kept = [c for c in mixed_changes() if c.action in ("unchanged", "orphan")]
    assert not make_plan(only_kept).has_changes


def test_text_view_is_terraform_like():
    text = render_plan(make_plan(mixed_changes()))
    assert "Using monitors (the server serves /detectors/); dataset spans" in text
    assert "p95(span.duration)" in text
    assert '+ create new  "GET /new p95 > 750 ms"' in text
    assert "~ update a" in text and "critical: 750 ms → 900 ms" in text
    assert "! conflict c" in text
    assert "orphan old" in text and "kept" in text
    assert text.rstrip().endswith(
        "Plan: 1 to create, 1 to update, 0 to delete, 1 unchanged; 1 conflict, 1 orphan kept.")
    assert "\033[" not in text  # no colour unless asked


def test_summary_line_without_extras_and_no_changes_message():
    desired = [want("a", "GET /a")]
    plan = make_plan(diff_alerts(POLICY, desired, [live_copy(desired[0], "1")]))
    assert summary_line(plan) == "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged."
    assert "No changes" in render_plan(plan)


def test_backend_private_data_survives_the_round_trip_exactly():
    extra = {"triggers": {("slack", "acme", "#ops"): "4"}, "ids": ("1", "2"), "n": [1, 2.5],
             "__odd": {"__tuple__": 1}}
    desired = [want("a", "GET /a")]
    live = live_copy(desired[0], "1", critical_ms=900, extra=extra)
    plan = make_plan(diff_alerts(POLICY, desired, [live]))
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert dict(again.changes[0].live.extra) == extra


def test_text_view_shows_deletes_for_pruning_plans():
    desired = [want("a", "GET /a")]
    changes = diff_alerts(POLICY, desired, [live_copy(desired[0], "1"),
                                            live_copy(want("old", "GET /old"), "4")])
    pruned = tuple(replace(c, action="delete", note="deleted: left the policy")
                   if c.action == "orphan" else c for c in changes)
    text = render_plan(make_plan(pruned, prune=True))
    assert '- delete old  "GET /old p95 > 750 ms"  (id 4)' in text
    assert "Plan: 0 to create, 0 to update, 1 to delete, 1 unchanged." in text


@pytest.mark.parametrize("typed", [
    'is_transaction:true transaction:/api/cart',        # Sentry's UI leaves simple names bare
    'transaction:"/api/cart"   is_transaction:true',    # the terms in the other order
])
def test_a_transaction_filter_typed_another_way_is_not_a_change(typed):
    desired = want("cart", "/api/cart")
    [change] = diff_alerts(POLICY, [desired], [live_copy(desired, "7", query=typed)])
    assert change.action == "unchanged"


@pytest.mark.parametrize("typed", [
    'is_transaction:true transaction:/api/carts',                  # another transaction
    'transaction:"/api/cart"',                                      # every span, not the root
    'is_transaction:true transaction:"/api/cart" http.method:GET',  # a filter more
])
def test_another_filter_is_a_change(typed):
    desired = want("cart", "/api/cart")
    [change] = diff_alerts(POLICY, [desired], [live_copy(desired, "7", query=typed)])
    assert change.action == "update" and [f.field for f in change.fields] == ["query"]


def test_a_wildcard_typed_in_sentry_is_not_the_transaction_with_a_star():
    """`*` unescaped is Sentry's wildcard; sentry-alerts writes `\\*`, the literal star."""
    desired = want("items", "GET /api/*/items")
    assert desired.query.endswith('transaction:"GET /api/\\*/items"')
    [same] = diff_alerts(POLICY, [desired], [live_copy(desired, "7")])
    assert same.action == "unchanged"
    wildcard = 'is_transaction:true transaction:"GET /api/*/items"'
    [change] = diff_alerts(POLICY, [desired], [live_copy(desired, "7", query=wildcard)])
    assert change.action == "update" and [f.field for f in change.fields] == ["query"]


def test_construct_makes_the_same_frozen_dataclass_as_its_init():
    """model.construct skips the generated __init__ of Alert and AlertSpec (issue 11: 5 µs
    each, 20,000 times in a plan of 10,000): the objects must be equal, hash alike, and fill
    the defaults (a fresh `extra` each)."""
    from sentry_alerts.model import Alert, AlertSpec, Marker, SlackTarget, construct

    given = dict(name="n", project="p", environment=None, dataset="spans", aggregate="a",
                 query="q", window_minutes=5, critical_ms=750.0, warning_ms=None,
                 resolve_ms=None, targets=(SlackTarget("#ops"),), owner=None, description="d",
                 marker=Marker("pol", "k"))
    made, init = construct(Alert, **given), Alert(**given)
    assert made == init and vars(made) == vars(init) and made.extra == {}
    assert made.extra is not construct(Alert, **given).extra
    spec = dict(policy="pol", key="k", name="n", project="p", transaction="GET /a",
                statistic="p95", window_minutes=5, critical_ms=750.0, source=("f", 3))
    assert vars(construct(AlertSpec, **spec)) == vars(AlertSpec(**spec))
    assert hash(construct(AlertSpec, **spec)) == hash(AlertSpec(**spec))
