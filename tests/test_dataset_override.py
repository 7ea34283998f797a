"""A transaction's own `dataset:` (docs/policy-reference.md, "Per-transaction dataset
override") is what its alert uses: planned, shown, applied, stable, and refused with the
server's reason where the server refuses it. The real CLI against the emulator.

The policy asks for `dataset: auto` (spans on every profile) and one transaction asks for
`metrics` (Sentry's generic_metrics): self-hosted 25 accepts that on its legacy alert rules;
sentry.io in 2026 refuses new transaction-based monitors.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import requests
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ADMIN_TOKEN, ALERTS_TOKEN, READ_ONLY_TOKEN
from sentry_alerts.emulator.profiles import PROFILES

POLICY = policy_head("mixed-datasets").replace("transactions:\n", "dataset: auto\ntransactions:\n") + """\
  - transaction: GET /api/cart
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: POST /api/checkout
    dataset: metrics
    sla: {p95: 800ms}
    alert: {critical: 1200ms, warning: 1000ms}
"""
ORG = "/api/0/organizations/acme"


def run(emu, *args: str):
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), env=env)


def write_policy(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.yaml"
    path.write_text(POLICY)
    return path


def stored(emu, what: str) -> dict[str, dict]:
    """The alerts Sentry stores, by name, as its API serves them."""
    resp = requests.get(f"{emu.url}{ORG}/{what}/", params={"project": "-1"}, timeout=5,
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert resp.status_code == 200, resp.text
    return {item["name"]: item for item in resp.json()}


def snuba_query(detector: dict) -> dict:
    source = detector["dataSources"][0]
    return (source.get("queryObj") or {}).get("snubaQuery") or source


def test_the_legacy_api_applies_a_transactions_own_dataset_and_plans_no_change_after(
        emulator_factory, tmp_path):
    emu = emulator_factory(profile="self-hosted-25")
    policy = write_policy(tmp_path)

    planned = run(emu, "plan", str(policy))
    assert planned.exit_code == 0, planned.output
    text = planned.output
    checkout = text[text.index("+ create post-api-checkout"):]
    cart = text[text.index("+ create get-api-cart"):text.index("+ create post-api-checkout")]
    assert "dataset      metrics" in checkout and "p95(transaction.duration)" in checkout
    assert 'query        transaction:"POST /api/checkout"' in checkout
    assert "dataset      spans" in cart and "p95(span.duration)" in cart
    as_json = json.loads(run(emu, "plan", "--format", "json", str(policy)).output)
    assert as_json["dataset"]["name"] == "spans"  # the policy's choice, as before
    assert {c["key"]: c["desired"]["dataset"] for c in as_json["changes"]} == {
        "get-api-cart": "spans", "post-api-checkout": "metrics"}

    applied = run(emu, "apply", "--auto-approve", str(policy))
    assert applied.exit_code == 0, applied.output
    rules = stored(emu, "alert-rules")
    assert (rules["POST /api/checkout latency"]["dataset"],
            rules["POST /api/checkout latency"]["aggregate"],
            rules["POST /api/checkout latency"]["query"]) == (
        "generic_metrics", "p95(transaction.duration)", 'transaction:"POST /api/checkout"')
    assert rules["GET /api/cart latency"]["dataset"] == "events_analytics_platform"

    again = run(emu, "plan", "--detailed-exitcode", str(policy))
    assert again.exit_code == 0, again.output
    assert "No changes: the live alerts match the policy." in again.output


def test_a_saved_plan_with_a_transactions_own_dataset_passes_the_integrity_check(
        emulator_factory, tmp_path):
    # apply FILE re-derives the plan's changes from the policy (plan_integrity.py): with the
    # override, it must derive the same per-alert dataset, or the plan is refused as edited.
    emu = emulator_factory(profile="self-hosted-25")
    policy = write_policy(tmp_path)
    saved = tmp_path / "plan.json"
    made = run(emu, "plan", "--out", str(saved), str(policy))
    assert made.exit_code == 0, made.output
    applied = run(emu, "apply", "--auto-approve", str(saved))
    assert applied.exit_code == 0, applied.output
    assert stored(emu, "alert-rules")["POST /api/checkout latency"]["dataset"] == \
        "generic_metrics"


def test_monitors_where_the_server_refuses_the_dataset_say_so_and_create_the_rest(emulator,
                                                                                    tmp_path):
    policy = write_policy(tmp_path)  # saas-2026: monitors only, new transaction-based refused
    planned = run(emulator, "plan", str(policy))
    assert planned.exit_code == 0, planned.output
    assert "dataset      metrics" in planned.output[planned.output.index("post-api-checkout"):]

    applied = run(emulator, "apply", "--auto-approve", str(policy))
    assert applied.exit_code == 1, applied.output
    text = " ".join(applied.output.split())
    assert ('✗ create post-api-checkout "POST /api/checkout latency": failed: Sentry answered '
            '400') in text
    assert "Creation of transaction-based alerts is disabled" in text
    assert "set `dataset: spans` (or `auto`) in the policy" in text
    assert "Traceback" not in text
    detectors = stored(emulator, "detectors")
    assert set(detectors) == {"GET /api/cart latency"}
    assert snuba_query(detectors["GET /api/cart latency"])["dataset"] == \
        "events_analytics_platform"


def test_monitors_apply_a_transactions_own_dataset_where_the_server_accepts_it(
        emulator_factory, tmp_path):
    # No shipped profile serves monitors and still accepts transaction-based alerts (Sentry
    # did, before 2026): self-hosted 26.7 with them allowed shows the monitors backend's side.
    emu = emulator_factory(profile=replace(PROFILES["self-hosted-26.7"],
                                           name="monitors-with-metrics",
                                           transaction_datasets=True))
    policy = write_policy(tmp_path)
    applied = run(emu, "apply", "--auto-approve", "--backend", "monitors", str(policy))
    assert applied.exit_code == 0, applied.output
    detectors = stored(emu, "detectors")
    checkout = snuba_query(detectors["POST /api/checkout latency"])
    assert (checkout["dataset"], checkout["aggregate"]) == (
        "generic_metrics", "p95(transaction.duration)")
    assert snuba_query(detectors["GET /api/cart latency"])["dataset"] == \
        "events_analytics_platform"
    again = run(emu, "plan", "--detailed-exitcode", "--backend", "monitors", str(policy))
    assert again.exit_code == 0, again.output


def test_the_plan_views_explain_the_policys_dataset_and_show_each_alerts_own(emulator_factory,
                                                                              tmp_path):
    emu = emulator_factory(profile="self-hosted-25")
    policy = write_policy(tmp_path)
    text = run(emu, "plan", str(policy)).output
    # The header still explains the policy's choice, and says which alerts differ from it.
    assert ("dataset spans: p95(span.duration) where is_transaction:true transaction:\"…\"\n"
            "Why spans: alert rules — spans (events_analytics_platform) are accepted") in text
    assert ('Per-transaction dataset: metrics for 1 alert: p95(transaction.duration) where '
            'transaction:"…"\n') in text
    markdown = run(emu, "plan", "--format", "markdown", str(policy)).output
    assert "| `p95(transaction.duration)` on `metrics` |" in markdown
    assert "| `p95(span.duration)` |" in markdown
    assert "dataset `spans` (1 alert on `metrics`) ·" in markdown


def test_a_guide_from_a_plan_uses_each_alerts_own_dataset(emulator_factory, tmp_path):
    # A token that reads but cannot write: apply writes a guide of what the plan says, in the
    # plan's UI and datasets; the metrics transaction's page is a Transaction Duration alert.
    emu = emulator_factory(profile="self-hosted-25")
    policy = write_policy(tmp_path)
    guide_dir = tmp_path / "guide"
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": READ_ONLY_TOKEN, "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["apply", "--auto-approve", "--guide-dir", str(guide_dir),
                                      str(policy)], env=env)
    assert result.exit_code == 3, result.output
    checkout = (guide_dir / "alerts" / "post-api-checkout.md").read_text(encoding="utf-8")
    cart = (guide_dir / "alerts" / "get-api-cart.md").read_text(encoding="utf-8")
    assert "| Alert type | **Transaction Duration** |" in checkout
    assert '| Filter | `transaction:"POST /api/checkout"` |' in checkout
    assert "| Alert type | **Duration** |" in cart
    assert '| Filter | `is_transaction:true transaction:"GET /api/cart"` |' in cart
