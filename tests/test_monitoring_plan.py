"""The continuous monitoring plan: golden output, determinism, and the committed example.

Golden file: tests/golden/monitoring-plan/. Regenerate after an intended change with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_monitoring_plan.py`. The committed
docs/performance/continuous-monitoring-plan.md is regenerated with
`sentry-alerts monitoring-plan policies/critical-endpoints.yaml` (run from the project root).
"""

from __future__ import annotations

import subprocess
import sys

from conftest import POLICIES, ROOT
from guide_support import EDGE_POLICY, check_golden, inline_parts, parse, tables

from sentry_alerts.model import desired_alert
from sentry_alerts.monitoring_plan import render_monitoring_plan
from sentry_alerts.policy import load_policy, load_policy_text

SOURCE = "policies/critical-endpoints.yaml"
COMMITTED = ROOT / "docs" / "performance" / "continuous-monitoring-plan.md"


def test_monitoring_plan_matches_golden_file() -> None:
    text = render_monitoring_plan(load_policy(POLICIES / "critical-endpoints.yaml"), source=SOURCE)
    check_golden("monitoring-plan/critical-endpoints.md", text)


def test_edge_policy_monitoring_plan_matches_golden_file() -> None:
    text = render_monitoring_plan(load_policy_text(EDGE_POLICY, "edge.yaml"), source="edge.yaml")
    check_golden("monitoring-plan/edge-cases.md", text)
    # A transaction name with `|` keeps the summary table's columns intact.
    table = tables(parse(text))[0]
    assert {len(row) for row in table} == {12}
    assert inline_parts(table[1][1])["code"] == ["GET /api/a|b`c"]


def test_committed_monitoring_plan_is_up_to_date() -> None:
    fresh = render_monitoring_plan(load_policy(POLICIES / "critical-endpoints.yaml"), source=SOURCE)
    assert COMMITTED.is_file(), f"{COMMITTED} is missing"
    assert COMMITTED.read_text(encoding="utf-8") == fresh, (
        "docs/performance/continuous-monitoring-plan.md is stale: run `sentry-alerts "
        "monitoring-plan policies/critical-endpoints.yaml` from the project root and commit it")


def test_plan_states_every_alert_value_from_desired_alert() -> None:
    policy = load_policy(POLICIES / "critical-endpoints.yaml")
    text = render_monitoring_plan(policy, source=SOURCE)
    for spec in policy.specs:
        want = desired_alert(spec, "spans")
        assert f"`{want.name}`" in text
        assert f"`{want.aggregate}` where `{want.query}`" in text
    assert "Runbook:** <https://wiki.example.com/runbooks/simulacao>" in text
    assert "none yet; add `runbook:`" in text  # the first transaction has no runbook
    assert "edit `policies/critical-endpoints.yaml` (line 17)" in text


def test_cli_writes_the_same_document(tmp_path) -> None:
    out = tmp_path / "plan.md"
    result = subprocess.run(
        [sys.executable, "-m", "sentry_alerts", "monitoring-plan", SOURCE, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Wrote the monitoring plan" in result.stdout
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    # Deterministic: a second run writes the same bytes.
    subprocess.run([sys.executable, "-m", "sentry_alerts", "monitoring-plan", SOURCE, "--out",
                    str(out)], cwd=ROOT, check=True, capture_output=True, timeout=60)
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")


def test_cli_reports_a_bad_policy_without_traceback(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\ntransactions: 5\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "sentry_alerts", "monitoring-plan", str(bad),
                             "--out", str(tmp_path / "o.md")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "error" in result.stderr
    assert not (tmp_path / "o.md").exists()
