"""The imported policy's YAML, without a Sentry: any alert name and transaction survive the round
trip through the written file (quoting, `{` in names, Unicode), thresholds keep their value, keys
stay unique, defaults are lifted and overridden correctly, and nothing is dropped silently."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentry_alerts.importer.entries import Entry, Skipped, assign_keys, consider
from sentry_alerts.importer.read import LiveAlert
from sentry_alerts.importer.yaml_out import duration, render_policy, scalar
from sentry_alerts.model import Alert, EmailTarget, SlackTarget, query_for
from sentry_alerts.policy.durations import parse_duration_ms
from sentry_alerts.policy.loader import check_bytes

TEAMS = {"backend", "sre"}


def live(name: str, transaction: str = "GET /api/x", *, remote_id: str = "1", **changes
         ) -> LiveAlert:
    values = dict(name=name, project="backend", environment="production", dataset="spans",
                  aggregate="p95(span.duration)", query=query_for(transaction, "spans"),
                  window_minutes=5, critical_ms=750, warning_ms=None, resolve_ms=None,
                  targets=(SlackTarget("#ops-alerts", "C0OPS00001", "Acme"),),
                  owner="team:backend", description="", remote_id=remote_id)
    values.update(changes)
    return LiveAlert(Alert(**values), "monitor", f"https://sentry.example/monitors/{remote_id}/")


def written(*alerts: LiveAlert, skipped: tuple[Skipped, ...] = ()):
    entries = [consider(a, "imported", TEAMS) for a in alerts]
    assert all(isinstance(e, Entry) for e in entries), entries
    assign_keys(entries)
    rendered = render_policy(name="imported", org="acme", dataset="spans", entries=entries,
                             skipped=list(skipped), header=["a header"],
                             several_workspaces=False)
    result = check_bytes(rendered.text.encode(), "imported.yaml")
    assert not result.diagnostics, (rendered.text, result.diagnostics)
    return rendered.text, {s.key: s for s in result.policy.specs}


# Invisible format characters (Cf: soft hyphen, zero-width, bidi) are refused by validate
# (`invisible-character`); import comments such alerts out instead (test_import_roundtrip).
names = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1,
                max_size=60).map(lambda s: " ".join(s.split())).filter(bool)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, transaction=names)
def test_any_name_and_transaction_survive_the_written_file(name, transaction):
    _, specs = written(live(name, transaction))
    [spec] = specs.values()
    assert spec.name == name and spec.transaction == transaction


@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
def test_scalars_read_back_as_written(text):
    assert yaml.safe_load(f"k: {scalar(text)}") == {"k": text}
    assert yaml.safe_load(f"{{k: {scalar(text)}}}") == {"k": text}


def test_thresholds_are_written_in_ms_without_losing_precision():
    for value in (750, 750.0, 0.5, 1200.25, 123456789.125, 0.001):
        assert parse_duration_ms(duration(value)) == value
    assert duration(750.0) == "750ms" and duration(0.5) == "0.5ms"


def test_alerts_on_one_transaction_get_distinct_keys_and_overrides_are_explicit():
    text, specs = written(
        live("Cart p95", "GET /api/cart", remote_id="1"),
        live("Cart p99", "GET /api/cart", remote_id="2", aggregate="p99(span.duration)"),
        live("Cart anywhere", "GET /api/cart", remote_id="3", environment=None, owner=None,
             targets=(EmailTarget("team", "sre"),)),
        live("{Checkout}: 50% slower #1", "POST /api/checkout", remote_id="4"))
    assert sorted(specs) == ["get-api-cart", "get-api-cart-p95", "get-api-cart-p99",
                             "post-api-checkout"]
    assert specs["get-api-cart-p95"].name == "Cart p95"
    anywhere = specs["get-api-cart"]
    assert anywhere.environment is None and anywhere.owner is None  # `null` overrides
    assert anywhere.targets == (EmailTarget("team", "sre"),)
    assert specs["post-api-checkout"].name == "{Checkout}: 50% slower #1"
    doc = yaml.safe_load(text)
    assert doc["defaults"] == {"project": "backend", "environment": "production",
                               "window": "5m", "owner": "team:backend",
                               "notify": [{"slack": {"channel": "#ops-alerts",
                                                     "channel_id": "C0OPS00001"}}]}


def test_a_name_the_default_template_gives_is_left_to_the_template():
    from sentry_alerts.policy.checks import DEFAULT_NAME_TEMPLATE

    default = DEFAULT_NAME_TEMPLATE.format(transaction="GET /api/x", metric="p95",
                                           critical="750 ms")
    text, specs = written(live(default))
    assert "name:" not in text.split("transactions:")[1]
    assert specs["get-api-x"].name == default


def test_what_cannot_be_expressed_is_a_comment_with_every_reason():
    odd = live("Odd", "GET /api/odd", remote_id="9", aggregate="count()", window_minutes=3,
               enabled=False, extra={"unmodelled": ["a PagerDuty action"]})
    result = consider(odd, "imported", TEAMS)
    assert isinstance(result, Skipped)
    text, _ = written(live("Fine"), skipped=(result,))
    comments = text.split("# Not imported")[1]
    for reason in ("a PagerDuty action", "the aggregate count()", "a 3-minute window",
                   "turned off in Sentry", "https://sentry.example/monitors/9/"):
        assert reason in " ".join(comments.replace("#", " ").split()), reason
    assert yaml.safe_load(text)["transactions"][0]["name"] == "Fine"


def test_an_alert_of_another_policy_is_left_to_it():
    theirs = live("Theirs", extra={}, description="Managed by sentry-alerts (policy payments, "
                                                  "key checkout). Edit the policy file.")
    from dataclasses import replace

    from sentry_alerts.model import Marker

    theirs = LiveAlert(replace(theirs.alert, marker=Marker("payments", "checkout")),
                       theirs.kind, theirs.url)
    result = consider(theirs, "imported", TEAMS)
    assert isinstance(result, Skipped)
    assert "managed by policy payments (key checkout)" in result.reasons[0]
