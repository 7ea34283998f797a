"""The policy API others build on: load_policy / load_policy_text -> Policy with AlertSpecs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sentry_alerts.errors import PolicyError
from sentry_alerts.model import EmailTarget, SlackTarget, sort_targets
from sentry_alerts.policy import Diagnostic, Policy, load_policy, load_policy_text
from sentry_alerts.policy.checks import slug_key

EXAMPLE = Path(__file__).resolve().parents[1] / "policies" / "critical-endpoints.yaml"

POLICY = """\
version: 1
name: shop
organization: acme
dataset: metrics
defaults:
  project: backend
  environment: production
  window: 10m
  owner: team:backend
  notify:
    - slack: "#ops-alerts"
    - email: team:backend
transactions:
  - transaction: GET /api/a
    sla: {p95: 0.5s}
    alert: {critical: 750, warning: 600ms, resolve: 550ms}
  - transaction: POST /api/b
    id: post-b
    project: payments
    environment: null
    window: 1h
    owner: user:ann@example.com
    dataset: spans
    notify:
      - slack: {channel: payments-alerts, channel_id: C0123ABC, workspace: Acme}
    sla: {p99: 1.5s}
    alert: {critical: 2s, metric: p95}
    name: "[payments] {transaction} {metric} over {critical} for {window} ({environment})"
    runbook: https://wiki.example.com/runbooks/b
"""


def test_example_policy_loads() -> None:
    policy = load_policy(EXAMPLE)
    assert isinstance(policy, Policy)
    assert (policy.name, policy.organization, policy.dataset) == ("critical-endpoints", "acme", "auto")
    assert [s.transaction for s in policy.specs] == ["GET /api/propostas", "POST /api/simulacao-credito"]
    first = policy.specs[0]
    assert first.key == "get-api-propostas"
    assert first.name == "GET /api/propostas: p95 latency"  # no threshold: stable
    assert (first.statistic, first.critical_ms, first.sla_ms, first.window_minutes) == ("p95", 750.0, 500.0, 5)
    assert first.targets == (SlackTarget("#ops-alerts"),)
    assert first.source == (str(EXAMPLE), 17)
    assert policy.content_hash == "sha256:" + hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert policy.warnings == ()


def test_defaults_apply_and_transactions_override() -> None:
    policy = load_policy_text(POLICY, "shop.yaml")
    a, b = policy.specs
    assert policy.dataset == "metrics" and policy.path == "shop.yaml"
    assert (a.project, a.environment, a.window_minutes, a.owner, a.dataset) == (
        "backend", "production", 10, "team:backend", "metrics")
    assert (a.critical_ms, a.warning_ms, a.resolve_ms, a.sla_ms) == (750.0, 600.0, 550.0, 500.0)
    assert a.targets == sort_targets([SlackTarget("#ops-alerts"), EmailTarget("team", "backend")])
    assert a.source == ("shop.yaml", 14)

    assert (b.key, b.project, b.environment, b.window_minutes, b.owner, b.dataset) == (
        "post-b", "payments", None, 60, "user:ann@example.com", "spans")
    assert b.targets == (SlackTarget("#payments-alerts", "C0123ABC", "Acme"),)
    assert (b.statistic, b.sla_statistic, b.sla_ms, b.critical_ms) == ("p95", "p99", 1500.0, 2000.0)
    assert b.name == "[payments] POST /api/b p95 over 2000 ms for 1h (all environments)"
    assert b.runbook == "https://wiki.example.com/runbooks/b"
    assert b.marker().policy == "shop" and b.marker().key == "post-b"


def test_errors_raise_policy_error_listing_each_with_location() -> None:
    text = POLICY.replace("critical: 750,", "critical: soon,").replace("window: 1h", "window: 2m")
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, "shop.yaml")
    message = info.value.message
    assert "2 errors" in message
    assert "shop.yaml:16:23: error: " in message
    assert "shop.yaml:21:13: error: " in message and "2m window" in message


def test_warnings_do_not_raise() -> None:
    policy = load_policy_text(POLICY.replace("window: 10m", "window: 1m"), "shop.yaml")
    (warning,) = policy.warnings
    assert isinstance(warning, Diagnostic)
    assert (warning.line, warning.severity, warning.code) == (8, "warning", "short-window")


def test_missing_file_raises_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(tmp_path / "missing.yaml")


@pytest.mark.parametrize(("name", "key"), [
    ("GET /api/propostas", "get-api-propostas"),
    ("POST /api/simulacao-credito", "post-api-simulacao-credito"),
    ("/users/{id}/Orders", "users-id-orders"),
    ("  spaced   out ", "spaced-out"),
])
def test_derived_keys_are_readable_slugs(name: str, key: str) -> None:
    assert slug_key(name) == key


def test_anchors_and_merge_keys_work() -> None:
    text = """\
version: 1
name: shop
defaults: {project: backend}
transactions:
  - &base
    transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify: [{slack: "#ops"}]
  - <<: *base
    transaction: GET /api/b
"""
    a, b = load_policy_text(text).specs
    assert (b.transaction, b.critical_ms, b.targets) == ("GET /api/b", 750.0, a.targets)
    assert b.source == ("<string>", 10)


def test_no_notify_anywhere_is_one_warning() -> None:
    text = "version: 1\nname: shop\ndefaults: {project: backend}\ntransactions:\n" + "".join(
        f"  - {{transaction: GET /{i}, sla: {{p95: 1s}}, alert: {{critical: 2s}}}}\n" for i in range(3))
    policy = load_policy_text(text)
    assert [(w.code, w.line) for w in policy.warnings] == [("no-notify", 3)]
    assert "none of the 3 transactions" in policy.warnings[0].message


def test_same_alert_name_twice_is_a_warning() -> None:
    text = """\
version: 1
name: shop
defaults: {project: backend, notify: [{slack: "#ops"}]}
transactions:
  - {transaction: GET /a, id: a-prod, environment: production, sla: {p95: 1s}, alert: {critical: 2s}}
  - {transaction: GET /a, id: a-stage, environment: staging, sla: {p95: 1s}, alert: {critical: 2s}}
"""
    policy = load_policy_text(text)
    assert [(w.code, w.line) for w in policy.warnings] == [("duplicate-name", 6)]


def test_findings_through_aliases_and_merge_keys_point_into_the_anchor() -> None:
    """A bad value reached through an alias is reported where the anchor writes it (once: the
    same finding at the same place); through a merge key, at the merged value."""
    text = """\
version: 1
name: shop
defaults: {project: backend}
transactions:
  - &base
    transaction: GET /api/a
    sla: {p95: 500ms}
    alert: &alert {critical: fast}
  - transaction: GET /api/b
    sla: {p95: 500ms}
    alert: *alert
  - <<: *base
    transaction: GET /api/c
"""
    with pytest.raises(PolicyError) as raised:
        load_policy_text(text)
    findings = [ln.split(": error")[0] for ln in str(raised.value).splitlines()
                if "[bad-duration]" in ln]
    assert findings == ["<string>:8:12", "<string>:8:30"]


def test_reading_a_large_policy_keeps_no_yaml_node_graph() -> None:
    """Values are built from libyaml's events (issue 11): peak memory per transaction stays near
    what the values and their locations need (about 2 KB), not the 8-9 KB of a node graph with
    two Mark objects per value, which made 50,000 transactions peak at 500 MB."""
    import tracemalloc

    from sentry_alerts.policy.yamltree import read_yaml

    lines = ["version: 1", "name: big", "defaults: {project: backend}", "transactions:"]
    for i in range(2000):
        lines += [f"  - transaction: GET /api/v1/resource-{i}/items",
                  "    sla: {p95: 500ms}", "    alert: {critical: 750ms, warning: 600ms}"]
    raw = ("\n".join(lines) + "\n").encode()
    tracemalloc.start()
    try:
        doc, problems = read_yaml(raw, "big.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert doc is not None and not problems
    assert len(doc.data["transactions"]) == 2000
    assert doc.where(("transactions", 1999, "alert", "warning")) == (6004, 39)
    assert peak / 2000 < 3000, f"{peak / 2000:.0f} bytes per transaction"
