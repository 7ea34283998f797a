"""`sentry-alerts loadtest script`: the k6 script a policy produces.

The committed example is kept in sync with the policy; generated scripts are checked by the real
k6 (`k6 inspect --execution-requirements` parses the script and validates every threshold's
metric and aggregation without running a test).
"""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import POLICIES, ROOT
from k6_support import k6_binary
from typer.testing import CliRunner

from sentry_alerts.cli import app

runner = CliRunner()
EXAMPLE_SCRIPT = ROOT / "scripts" / "load-test" / "critical-endpoints.js"

HEAD = """\
version: 1
name: shop
defaults:
  project: backend
  notify:
    - slack: "#ops-alerts"
"""


def script_for(policy_text: str, tmp_path, **env: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(policy_text)
    result = runner.invoke(app, ["loadtest", "script", str(path)], env=env or None)
    assert result.exit_code == 0, result.output
    return result.stdout


def k6_accepts(script: str, tmp_path) -> None:
    """k6 parses the script and accepts every threshold (unknown metrics or aggregations fail)."""
    path = tmp_path / "script.js"
    path.write_text(script)
    env = [f"-e{name}=x" for name in ("LOAD_TEST_TOKEN", "PAYMENTS_TOKEN")]
    env += [f"-e{name}=http://127.0.0.1:9" for name in ("BASE_URL", "PAYMENTS_URL")]
    proc = subprocess.run([str(k6_binary()), "inspect", "--execution-requirements", *env,
                           str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_committed_example_matches_the_policy(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["loadtest", "script", "policies/critical-endpoints.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout == EXAMPLE_SCRIPT.read_text(), (
        "scripts/load-test/critical-endpoints.js is stale: run `sentry-alerts loadtest script "
        "policies/critical-endpoints.yaml --out scripts/load-test/critical-endpoints.js` from "
        "the project root and commit it")


def test_one_group_per_endpoint_with_sla_error_and_count_thresholds(tmp_path) -> None:
    script = EXAMPLE_SCRIPT.read_text()
    for name in ("GET /api/propostas", "POST /api/simulacao-credito"):
        assert f'group("{name}", () => {{' in script
        assert f'"http_req_duration{{group:::{name}}}": ["p(95)<500"],' in script
        assert f'"http_req_failed{{group:::{name}}}": ["rate<=0.01"],' in script
        assert f'"http_reqs{{group:::{name}}}": ["count>0"],' in script
    assert 'JSON.stringify({"valor": 10000, "prazo_meses": 24})' in script
    assert '"Content-Type": "application/json"' in script
    assert "stages: PROFILES[PROFILE]," in script
    assert '"ramp": [{ duration: "1m", target: 50 }, { duration: "3m", target: 50 }, ' \
           '{ duration: "30s", target: 0 }],' in script
    k6_accepts(script, tmp_path)


def test_every_statistic_the_policy_uses_is_in_the_summary(tmp_path) -> None:
    """all-options.yaml has SLAs on p95, p99 and p75 and an alert on max: k6 leaves p(99) and
    p(75) out of its summary unless summaryTrendStats lists them."""
    script = script_for((POLICIES / "all-options.yaml").read_text(), tmp_path)
    assert 'summaryTrendStats: ["avg", "min", "med", "max", "p(75)", "p(90)", "p(95)", ' \
           '"p(99)"],' in script
    assert '"http_req_duration{group:::GET /api/payments/{id}}": ["p(99)<1000"],' in script
    assert '"http_req_duration{group:::POST /api/refunds}": ["p(75)<300"],' in script
    k6_accepts(script, tmp_path)


def test_the_credential_is_read_at_run_time_and_never_written(tmp_path) -> None:
    secret = "s3cr3t-token-value"
    policy = HEAD + """\
load_test:
  auth: {env: LOAD_TEST_TOKEN, header: X-Api-Key, scheme: ""}
  headers: {Accept: application/json}
transactions:
  - transaction: GET /api/propostas/{id}
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    load_test: {params: {id: "a b/c"}, query: {page: 2, full: true}, expected_status: [200, 304]}
"""
    script = script_for(policy, tmp_path, LOAD_TEST_TOKEN=secret)
    assert secret not in script
    assert "const AUTH_TOKEN = __ENV.LOAD_TEST_TOKEN;" in script
    assert 'const AUTH = { "X-Api-Key": AUTH_TOKEN };' in script
    assert 'headers: { ...AUTH, "Accept": "application/json" },' in script
    # Path parameters are filled in and encoded; the group keeps the transaction's name.
    assert 'BASE_URL + "/api/propostas/a%20b%2Fc?page=2&full=true"' in script
    assert 'group("GET /api/propostas/{id}", () => {' in script
    assert "responseCallback: http.expectedStatuses(200, 304)," in script
    assert '"status is 200 or 304": (r) => [200, 304].includes(r.status)' in script
    k6_accepts(script, tmp_path)


def test_names_k6_cannot_express_fall_back_to_the_key(tmp_path) -> None:
    policy = HEAD + """\
transactions:
  - transaction: GET /api/a,b
    id: a-and-b
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""
    script = script_for(policy, tmp_path)
    assert 'group("a-and-b", () => {' in script
    assert '"http_req_duration{group:::a-and-b}": ["p(95)<500"],' in script
    assert 'tags: { name: "GET /api/a,b" },' in script
    k6_accepts(script, tmp_path)


def test_out_writes_the_file(tmp_path) -> None:
    out = tmp_path / "scripts" / "load-test" / "x.js"
    result = runner.invoke(app, ["loadtest", "script", str(POLICIES / "critical-endpoints.yaml"),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("// k6 load test for the policy critical-endpoints")
    assert f"Wrote {out}" in result.stderr


@pytest.mark.parametrize(("body", "words"), [
    ("  - transaction: tasks.send_email\n    alert: {critical: 1s, metric: p95}\n",
     ["does not say how to load-test", "policy.yaml:8:", "not `METHOD /path`", "skip: true"]),
    ("  - transaction: GET /a\n    alert: {critical: 1s, metric: p95}\n"
     "    load_test: {skip: true}\n",
     ["no transaction to load-test"]),
    ("  - transaction: GET /a\n    alert: {critical: fast}\n", ["policy", "error", "fast"]),
])
def test_policies_it_cannot_script_are_one_clear_error(tmp_path, body: str,
                                                       words: list[str]) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + "transactions:\n" + body)
    result = runner.invoke(app, ["loadtest", "script", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert all(w in result.stderr for w in words), result.stderr
    assert "Traceback" not in result.output


def test_the_policy_file_missing_is_one_clear_error(tmp_path) -> None:
    result = runner.invoke(app, ["loadtest", "script", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr and "Traceback" not in result.output
    assert os.path.exists(tmp_path) and not (tmp_path / "nope.yaml").exists()


def test_out_that_cannot_be_written_is_one_sentence(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "scripts" / "x.js"
    result = runner.invoke(app, ["loadtest", "script", str(POLICIES / "critical-endpoints.yaml"),
                                 "--out", str(out)])
    assert result.exit_code == 1
    assert f"error: cannot write {out}: Not a directory." in result.stderr
    assert "Traceback" not in result.output
