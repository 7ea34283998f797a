"""`sentry-alerts loadtest verify POLICY SUMMARY`: the verdict on a k6 summary, in both shapes.

tests/data/k6/ holds two real summaries of one smoke run of the example policy's script (k6
1.1.0 against the sample service): `summary-export.json` (`--summary-export`, where `true` under
`thresholds` means FAILED) and `handle-summary.json` (what handleSummary receives, where
`{"ok": true}` means passed). Each test edits a copy the way a real run would differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT
from typer.testing import CliRunner

from sentry_alerts.cli import app

runner = CliRunner()
DATA = ROOT / "tests" / "data" / "k6"
POLICY = POLICIES / "critical-endpoints.yaml"
GET = "GET /api/propostas"
POST = "POST /api/simulacao-credito"
SHAPES = ["summary-export", "handle-summary"]


def duration(group: str) -> str:
    return f"http_req_duration{{group:::{group}}}"


class Summary:
    """A copy of a real summary, edited in the terms of its shape."""

    def __init__(self, shape: str) -> None:
        self.shape = shape
        self.data = json.loads((DATA / f"{shape}.json").read_text())

    def metric(self, name: str) -> dict:
        return self.data["metrics"][name]

    def values(self, name: str) -> dict:
        m = self.metric(name)
        return m["values"] if self.shape == "handle-summary" else m

    def set(self, name: str, key: str, value: float) -> None:
        if self.shape == "summary-export" and key == "rate":
            key = "value"  # --summary-export renames a rate's `rate` to `value`
        self.values(name)[key] = value

    def mark_threshold(self, name: str, expression: str, *, failed: bool) -> None:
        thresholds = self.metric(name).setdefault("thresholds", {})
        thresholds[expression] = failed if self.shape == "summary-export" else {"ok": not failed}

    def drop_thresholds(self) -> None:
        for metric in self.data["metrics"].values():
            metric.pop("thresholds", None)

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.shape}.json"
        path.write_text(json.dumps(self.data))
        return path


def verify(summary: Path, *args: str, policy: Path = POLICY):
    result = runner.invoke(app, ["loadtest", "verify", str(policy), str(summary), *args])
    assert "Traceback" not in result.output
    return result


def row(output: str, endpoint: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith(endpoint))


@pytest.mark.parametrize("shape", SHAPES)
def test_all_pass(tmp_path, shape: str) -> None:
    result = verify(Summary(shape).write(tmp_path))
    assert result.exit_code == 0, result.output
    assert row(result.stdout, GET).split()[2:9] == ["p95", "<", "500", "ms", "24.1", "ms",
                                                    "+476"]
    assert " PASS " in row(result.stdout, POST)
    assert result.stdout.rstrip().endswith("PASSED: 2 endpoints kept their SLA.")
    shown = "summary-export" if shape == "summary-export" else "handleSummary"
    assert f"{shown} format" in result.stdout


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("thresholds", ["present", "absent"])
def test_one_endpoint_over_its_sla_fails_and_is_named(tmp_path, shape: str,
                                                      thresholds: str) -> None:
    s = Summary(shape)
    s.set(duration(POST), "p(95)", 612.4)
    s.mark_threshold(duration(POST), "p(95)<500", failed=True)
    if thresholds == "absent":
        s.drop_thresholds()
    result = verify(s.write(tmp_path))
    assert result.exit_code == 1
    assert "612 ms" in row(result.stdout, POST) and "-112 ms" in row(result.stdout, POST)
    assert " FAIL " in row(result.stdout, POST) and " PASS " in row(result.stdout, GET)
    assert f"FAIL  {POST}: p95 was 612 ms, 112 ms above the SLA of p95 < 500 ms" in result.stdout
    assert f"FAILED: 1 of 2 endpoints failed: {POST}." in result.stdout


@pytest.mark.parametrize("shape", SHAPES)
def test_true_in_a_threshold_means_failed(tmp_path, shape: str) -> None:
    """The values pass, but k6 says its own threshold failed (in --summary-export `true` means
    failed): that is never read as a pass."""
    s = Summary(shape)
    s.mark_threshold(duration(GET), "p(95)<500", failed=True)
    result = verify(s.write(tmp_path))
    assert result.exit_code == 1
    assert f"k6 reports its threshold `p(95)<500` on `{duration(GET)}` as failed" in result.stdout


@pytest.mark.parametrize("shape", SHAPES)
def test_a_missing_endpoint_is_a_fail_with_the_reason(tmp_path, shape: str) -> None:
    s = Summary(shape)
    for name in list(s.data["metrics"]):
        if POST in name:
            del s.data["metrics"][name]
    result = verify(s.write(tmp_path))
    assert result.exit_code == 1
    assert " FAIL " in row(result.stdout, POST)
    assert f"the summary has no `{duration(POST)}`" in result.stdout
    assert "was not measured on its own" in result.stdout


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("count", ["count 0", "no count"])
def test_an_empty_sub_metric_is_a_fail_not_a_silent_pass(tmp_path, shape: str, count: str) -> None:
    """k6 reports a group nobody requested as all zeros and passes its thresholds (k6#1346)."""
    s = Summary(shape)
    for key in list(s.values(duration(GET))):
        s.set(duration(GET), key, 0)
    reqs = f"http_reqs{{group:::{GET}}}"
    if count == "count 0":
        s.set(reqs, "count", 0)
    else:
        del s.data["metrics"][reqs]
    result = verify(s.write(tmp_path))
    assert result.exit_code == 1
    assert f"no request to {GET} was measured" in result.stdout


@pytest.mark.parametrize("shape", SHAPES)
def test_p99_missing_when_the_policy_needs_it(tmp_path, shape: str) -> None:
    policy = tmp_path / "p99.yaml"
    text = POLICY.read_text()
    assert text.count("sla: {p95: 500ms}               #") == 1
    policy.write_text(text.replace("sla: {p95: 500ms}               #", "sla: {p99: 800ms} #"))
    result = verify(Summary(shape).write(tmp_path), policy=policy)
    assert result.exit_code == 1
    assert "the summary has no p(99) for GET /api/propostas" in result.stdout
    assert 'add "p(99)" to options.summaryTrendStats' in result.stdout
    assert " PASS " in row(result.stdout, POST)


@pytest.mark.parametrize("shape", SHAPES)
def test_too_many_failed_requests_fail(tmp_path, shape: str) -> None:
    s = Summary(shape)
    s.set(f"http_req_failed{{group:::{GET}}}", "rate", 0.05)
    result = verify(s.write(tmp_path))
    assert result.exit_code == 1
    assert "5% of its requests failed" in result.stdout and "allows 1%" in result.stdout


def test_a_script_with_other_thresholds_is_called_out_of_date(tmp_path) -> None:
    s = Summary("summary-export")
    s.metric(duration(GET))["thresholds"] = {"p(95)<600": False}
    result = verify(s.write(tmp_path))
    assert result.exit_code == 0
    assert "is `p(95)<600`, not the policy's `p(95)<500`: it is out of date" in result.stdout


def test_markdown_is_a_pull_request_comment(tmp_path) -> None:
    s = Summary("summary-export")
    s.set(duration(POST), "p(95)", 612.4)
    result = verify(s.write(tmp_path), "--format", "markdown")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "<!-- sentry-alerts-loadtest: critical-endpoints -->"
    assert lines[1] == f"### ❌ Load test: 1 of 2 endpoints failed: {POST}."
    assert "| Endpoint | SLA | Measured | Margin | Result | Requests | Errors | Alert |" in lines
    assert f"| `{POST}` | p95 < 500 ms | 612 ms | -112 ms | ❌ FAIL | 9 | 0% | " \
           "p95 > 750 ms over 5m |" in lines
    assert "**Why it failed**" in lines


def test_json_for_other_tools(tmp_path) -> None:
    result = verify(Summary("handle-summary").write(tmp_path), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["format_version"] == 1 and doc["ok"] is True
    assert doc["summary"]["shape"] == "handleSummary"
    first = doc["endpoints"][0]
    assert first["transaction"] == GET and first["result"] == "pass"
    assert first["sla"] == {"statistic": "p95", "ms": 500.0}
    assert first["measured_ms"] == pytest.approx(24.1166, abs=1e-3)
    assert first["margin_ms"] == pytest.approx(500 - 24.1166, abs=1e-3)
    assert first["alert"]["critical_ms"] == 750.0 and first["requests"] == 9


@pytest.mark.parametrize(("content", "words"), [
    ("not json", ["is not a k6 summary", "not JSON", "--summary-export"]),
    ("[1, 2]", ["is not a k6 summary", "not an object"]),
    ('{"root_group": {}}', ["has no `metrics` object"]),
    ('{"version": "1.0.0", "results": {"metrics": []}}',
     ["new machine-readable summary", "no thresholds", "--summary-export"]),
    (None, ["no such summary file"]),
])
def test_unusable_summaries_are_one_clear_error(tmp_path, content: str | None,
                                                words: list[str]) -> None:
    path = tmp_path / "summary.json"
    if content is not None:
        path.write_text(content)
    result = verify(path)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert all(w in result.stderr for w in words), result.stderr


def test_unknown_format_is_an_error(tmp_path) -> None:
    result = verify(Summary("summary-export").write(tmp_path), "--format", "html")
    assert result.exit_code == 1 and "unknown --format 'html'" in result.stderr
