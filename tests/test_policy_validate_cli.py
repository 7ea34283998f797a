"""`sentry-alerts validate` on bad policies: exit code, line number and the words of the message.

Each case is a whole policy file run through the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.errors import PolicyError

runner = CliRunner()
EXAMPLE = str(Path(__file__).resolve().parents[1] / "policies" / "critical-endpoints.yaml")

HEAD = """\
version: 1
name: shop
defaults:
  project: backend
  notify:
    - slack: "#ops-alerts"
transactions:
"""  # 7 lines: the first transaction starts on line 8


def tx(body: str) -> str:
    return HEAD + body


GOOD_TX = """\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""

# (id, file content, severity that fails, line, words the message must contain)
BAD_POLICIES: list[tuple[str, str | bytes, int, list[str]]] = [
    ("yaml-syntax", "version: 1\nname: [shop\n", 3, ["invalid YAML"]),
    ("tab-indent", "version: 1\nname: shop\ntransactions:\n\t- transaction: x\n", 4, ["tab", "spaces"]),
    ("top-level-list", "- version: 1\n", 1, ["mapping", "list"]),
    ("empty-file", "# nothing yet\n", 1, ["empty"]),
    ("two-documents", "version: 1\n---\nname: x\n", 2, ["more than one YAML document"]),
    ("duplicate-yaml-key", "version: 1\nname: a\nname: b\ntransactions: []\n", 3,
     ["`name` appears twice", "line 2"]),
    ("missing-version", "name: shop\ntransactions: []\n", 1, ["missing required key `version`"]),
    ("version-2", "version: 2\nname: shop\ntransactions: []\n", 1, ["version 2", "not supported"]),
    ("version-quoted", "version: '1'\nname: shop\ntransactions: []\n", 1, ["without quotes"]),
    ("bad-policy-name", "version: 1\nname: my shop\ntransactions: []\n", 2,
     ["policy name", "letters, digits", "my-shop"]),
    ("unknown-top-key", "version: 1\nname: shop\ntransactons: []\n", 3,
     ["unknown key `transactons`", "did you mean `transactions`"]),
    ("project-at-top", "version: 1\nname: shop\nproject: backend\ntransactions: []\n", 3,
     ["`project` belongs under `defaults:`"]),
    ("defaults-not-mapping", "version: 1\nname: shop\ndefaults: backend\ntransactions: []\n", 3,
     ["`defaults` must be a mapping"]),
    ("transactions-not-list", "version: 1\nname: shop\ntransactions: {a: 1}\n", 3,
     ["`transactions` must be a list"]),
    ("transaction-not-mapping", tx("""\
  - GET /api/a
"""), 8, ["`transactions[0]` must be a mapping", "- transaction: GET /api/a"]),
    ("unknown-tx-key", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alret: {critical: 750ms}
"""), 10, ["unknown key `alret`", "did you mean `alert`"]),
    ("missing-alert", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
"""), 8, ["missing required key `alert`"]),
    ("missing-transaction", tx("""\
  - sla: {p95: 500ms}
    alert: {critical: 750ms}
"""), 8, ["missing required key `transaction`"]),
    ("transaction-number", tx("""\
  - transaction: 404
    alert: {critical: 750ms, metric: p95}
"""), 8, ["must be text", "quotes"]),
    ("bad-duration", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: fast}
"""), 10, ['"fast" is not a duration', "750ms"]),
    ("negative-threshold", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: -5ms}
"""), 10, ["not a duration"]),
    ("zero-threshold", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 0}
"""), 10, ["above 0"]),
    ("window-not-offered", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    window: 7m
"""), 11, ["does not offer a 7m window", "5m"]),
    ("window-without-unit", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    window: 5
"""), 11, ["no unit", "5m"]),
    ("unknown-statistic", tx("""\
  - transaction: GET /api/a
    sla: {p96: 500ms}
    alert: {critical: 750ms}
"""), 9, ["unknown key `p96`", "did you mean"]),
    ("two-statistics", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms, p99: 900ms}
    alert: {critical: 750ms}
"""), 9, ["exactly one statistic", "p95, p99"]),
    ("bad-metric", tx("""\
  - transaction: GET /api/a
    alert: {critical: 750ms, metric: p59}
"""), 9, ['"p59"', "p50"]),
    ("no-statistic", tx("""\
  - transaction: GET /api/a
    alert: {critical: 750ms}
"""), 9, ["which statistic", "sla: {p95: 500ms}"]),
    ("warning-above-critical", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms, warning: 900ms}
"""), 10, ["warning (900 ms) must be below critical (750 ms)"]),
    ("warning-equals-critical", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms, warning: 0.75s}
"""), 10, ["warning (750 ms) must be below critical (750 ms)"]),
    ("resolve-not-below", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert:
      critical: 750ms
      warning: 600ms
      resolve: 650ms
"""), 13, ["resolve (650 ms) must be below the warning threshold (600 ms)"]),
    ("duplicate-derived-key", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: get api a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""), 11, ["key `get-api-a`", "line 8", "set a distinct `id:`"]),
    ("duplicate-explicit-id", tx("""\
  - transaction: GET /api/a
    id: checkout
    alert: {critical: 750ms, metric: p95}
  - transaction: GET /api/b
    id: checkout
    alert: {critical: 750ms, metric: p95}
"""), 12, ["key `checkout` is already used at line 8"]),
    ("bad-id", tx("""\
  - transaction: GET /api/a
    id: get a
    alert: {critical: 750ms, metric: p95}
"""), 9, ["id 'get a'", "letters, digits"]),
    ("unknown-placeholder", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    name: "{transacton} is slow"
"""), 11, ["unknown placeholder {transacton}", "did you mean {transaction}"]),
    ("name-too-long", tx(f"""\
  - transaction: GET /api/a
    sla: {{p95: 500ms}}
    alert: {{critical: 750ms}}
    name: "{'x' * 210}"
"""), 11, ["210 characters", "200"]),
    ("bad-owner", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    owner: backend
"""), 11, ["owner 'backend'", "team:<team slug>"]),
    ("bad-email-target", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify: [{email: ann}]
"""), 11, ["email target 'ann'", "user:<email>"]),
    ("unknown-notify-kind", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify:
      - slak: "#ops"
"""), 12, ["unknown key `slak`", "did you mean `slack`"]),
    ("slack-and-email-in-one", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify:
      - {slack: "#ops", email: team:backend}
"""), 12, ["exactly one of `slack` or `email`", "two list items"]),
    ("slack-channel-unquoted", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify:
      - slack: #ops
"""), 12, ["`slack` is empty", "comment", '"#ops-alerts"']),
    ("name-template-unquoted", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    name: {transaction}
"""), 11, ["YAML read a mapping", "quotes"]),
    ("name-template-unquoted-syntax", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    name: {transaction} is slow
"""), 11, ["invalid YAML", "must be quoted"]),
    ("slack-channel-typo", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify:
      - slack: {chanel: "#ops"}
"""), 12, ["unknown key `chanel`", "did you mean `channel`"]),
    ("project-not-slug", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    project: Back End
"""), 11, ["not a slug", "back-end"]),
    ("no-project", "version: 1\nname: shop\ntransactions:\n  - transaction: GET /a\n"
     "    alert: {critical: 750ms, metric: p95}\n", 4, ["no project", "project: backend"]),
    ("sla-in-defaults", "version: 1\nname: shop\ndefaults:\n  project: backend\n  sla: {p95: 1s}\n"
     "transactions: []\n", 5, ["`sla` is set per transaction"]),
    ("span-window-1m", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    dataset: spans
    window: 1m
"""), 12, ["span alerts need a window of at least 5m"]),
    ("bad-dataset", "version: 1\nname: shop\ndataset: span\ntransactions: []\n", 3,
     ["'spans'", "did you mean `spans`"]),
    ("yaml-bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True)),
     5, ["YAML bomb"]),
    ("alias-cycle", "version: 1\nname: &n [*n]\n", 2, ["cycle"]),
    ("merge-non-mapping", "version: 1\nname: &n shop\ndefaults:\n  <<: *n\n", 4,
     ["`<<` must refer to a mapping"]),
    ("too-deep", "version: 1\nname: " + "[" * 100 + "]" * 100 + "\n", 2, ["nested more than 64"]),
    ("custom-tag", "version: 1\nname: !env POLICY\n", 2, ["tag", "not supported"]),
    ("binary", b"\x7fELF\x02\x01\x01\x00\x00\x00", 1, ["binary"]),
    ("latin-1", b"version: 1\nname: caf\xe9\n", 2, ["not valid UTF-8"]),
    ("control-char", "version: 1\nname: a\x07b\n", 2, ["not allowed in YAML"]),
    ("strict-warning", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 400ms}
"""), 10, ["at or below the SLA", "noise"]),
    ("bare-number-under-10", tx("""\
  - transaction: GET /api/a
    alert: {critical: 2, metric: p95}
"""), 9, ["2 ms?", "write 2s if you meant seconds", "[bare-number]"]),
    ("bare-number-string", tx("""\
  - transaction: GET /api/a
    sla: {p95: "0.5"}
    alert: {critical: 750ms}
"""), 9, ["0.5 ms?", "write 0.5s"]),
    ("slack-channel-space", "version: 1\nname: shop\ndefaults:\n  project: backend\n  notify:\n"
     '    - slack: "#ops alerts"\ntransactions: []\n', 6,
     ["Slack channel '#ops alerts' has a space", 'did you mean "#ops-alerts"']),
    ("slack-channel-capitals", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify: [{slack: {channel: "#Ops-Alerts", channel_id: C1}}]
"""), 11, ["capital letters", "lowercase", 'did you mean "#ops-alerts"']),
    ("slack-channel-too-long", tx(f"""\
  - transaction: GET /api/a
    sla: {{p95: 500ms}}
    alert: {{critical: 750ms}}
    notify: [{{slack: "#{'a' * 81}"}}]
"""), 11, ["81 characters long", "Slack allows 80"]),
    ("slack-channel-punctuation", tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify: [{slack: "#ops.alerts"}]
"""), 11, ["letters, digits, `-` and `_`", 'did you mean "#ops-alerts"']),
    ("unclosed-quote-at-end", tx("""\
  - transaction: "GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""), 8, ["the `\"` opened here is never closed", "line 11"]),
    ("unclosed-quote-closed-later", "version: 1\nname: shop\ndefaults: {runbook: don't}\n"
     'transactions:\n  - transaction: "GET /a\n    alert: {critical: 750ms}\n'
     '  - transaction: "GET /b"\n    alert: {critical: 750ms}\n', 5,
     ["the `\"` opened here is never closed", "[yaml-unclosed-quote]"]),
]


def run(*args: str):
    return runner.invoke(app, ["validate", *args])


@pytest.mark.parametrize(("content", "line", "words"),
                         [pytest.param(c, ln, w, id=i) for i, c, ln, w in BAD_POLICIES])
def test_bad_policy_fails_with_line_and_message(tmp_path: Path, content, line, words) -> None:
    path = tmp_path / "policy.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = run("--strict", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith(f"{path}:{line}:")]
    assert lines, f"no finding on line {line}:\n{result.output}"
    assert any(all(w in ln for w in words) for ln in lines), result.output
    assert result.output.splitlines()[-1].startswith("FAILED:")


def test_there_are_many_distinct_bad_policies() -> None:
    assert len({case[0] for case in BAD_POLICIES}) >= 30


def test_example_policy_is_clean() -> None:
    result = run("--strict", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ok: checked 1 file, 2 transactions: 0 errors, 0 warnings"


def test_warnings_pass_without_strict_and_fail_with_it(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    window: 1m
"""))
    relaxed = run(str(path))
    assert relaxed.exit_code == 0, relaxed.output
    assert f"{path}:11:13: warning: a 1m window" in relaxed.output
    assert "[short-window]" in relaxed.output
    strict = run("--strict", str(path))
    assert strict.exit_code == 1
    assert "--strict" in strict.output.splitlines()[-1]


def test_all_errors_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: soon}
  - transaction: GET /api/b
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    window: 3m
"""))
    result = run(str(path))
    assert result.exit_code == 1
    assert f"{path}:10:23: error:" in result.output
    assert f"{path}:14:13: error:" in result.output
    assert "2 errors" in result.output.splitlines()[-1]


def test_folder_is_searched_recursively(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "good.yml").write_text(HEAD + GOOD_TX)
    (tmp_path / "bad.yaml").write_text("version: 1\nname: x\n")
    (tmp_path / "notes.txt").write_text("not a policy")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.yaml").write_text("garbage: [")
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert "checked 2 files, 1 transaction" in result.output
    assert f"{tmp_path / 'bad.yaml'}:1:1: error: missing required key `transactions`" in result.output
    assert ".git" not in result.output


def test_missing_path_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "no such file or folder" in result.output
    assert "Traceback" not in result.output


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert "no .yaml or .yml files" in result.output


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (50 * 1024 * 1024))
    result = run(str(path))
    assert result.exit_code == 1
    finding = result.output.splitlines()[0]  # one paragraph: what, the limit, how to raise it
    assert "50.0 MB" in finding and "limited to 16 MB" in finding
    assert "SENTRY_ALERTS_MAX_POLICY_MB" in finding and "--max-policy-mb" in finding


def test_the_default_size_limit_admits_what_50000_transactions_take(tmp_path: Path) -> None:
    """16 MB by default (issue 11): 50,000 transactions take about 6 MB, over the old 5 MB."""
    path = tmp_path / "large.yaml"
    path.write_bytes(b"# " + b"x" * (7 * 1024 * 1024) + b"\n" + (HEAD + GOOD_TX).encode())
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "ok: checked 1 file, 1 transaction" in result.output


def test_the_size_limit_is_an_option_of_every_command(tmp_path: Path, monkeypatch) -> None:
    """SENTRY_ALERTS_MAX_POLICY_MB, or `sentry-alerts --max-policy-mb MB` before the command,
    for validate and for every command that loads a policy; a wrong value is one error."""
    from sentry_alerts.policy import load_policy

    path = tmp_path / "p.yaml"
    path.write_text(HEAD + GOOD_TX)  # 150 bytes
    monkeypatch.setenv("SENTRY_ALERTS_MAX_POLICY_MB", "0.0001")  # 104 bytes
    refused = run(str(path))
    assert refused.exit_code == 1
    assert "limited to 104 bytes" in refused.output and "[file-too-large]" in refused.output
    with pytest.raises(PolicyError, match="file-too-large"):
        load_policy(path)

    # The flag sets the variable (monkeypatch puts it back after the test).
    admitted = runner.invoke(app, ["--max-policy-mb", "1", "validate", str(path)])
    assert admitted.exit_code == 0, admitted.output
    refused = runner.invoke(app, ["--max-policy-mb", "0.0001", "plan", str(path)])
    assert refused.exit_code == 1 and "[file-too-large]" in refused.output

    for wrong in ("lots", "0", "-3", "nan"):
        monkeypatch.setenv("SENTRY_ALERTS_MAX_POLICY_MB", wrong)
        bad = run(str(path), str(path))
        assert bad.exit_code == 1 and "Traceback" not in bad.output
        assert bad.output.count("error:") == 1, bad.output
        assert f"policy size limit {wrong!r} (SENTRY_ALERTS_MAX_POLICY_MB or --max-policy-mb) " \
               "is not a number of MB above 0" in bad.output


def test_json_format(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(HEAD + GOOD_TX)
    bad = tmp_path / "bad.yaml"
    bad.write_text(tx("""\
  - transaction: GET /api/a
    sla: {p95: 500ms}
    alert: {critical: 750ms, warning: 800ms}
"""))
    result = run("--format", "json", str(good), str(bad))
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and report["format_version"] == 1
    assert report["summary"] == {"files": 2, "transactions": 2, "errors": 1, "warnings": 0}
    assert report["files"][0] == {"path": str(good), "ok": True, "policy": "shop",
                                  "transactions": 1, "errors": 0, "warnings": 0}
    (diag,) = report["diagnostics"]
    assert diag["file"] == str(bad) and diag["line"] == 10 and diag["col"] == 39
    assert diag["severity"] == "error" and diag["code"] == "warning-not-below-critical"


def test_unknown_format_is_a_clear_error() -> None:
    result = run("--format", "xml", EXAMPLE)
    assert result.exit_code == 1
    assert "--format must be `text` or `json`" in result.output


def test_broken_defaults_do_not_cause_guessed_findings(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nname: s\ndefaults:\n  project: backend\n  notfy: [{slack: '#a'}]\n"
                    "transactions:\n  - {transaction: a, sla: {p95: 1s}, alert: {critical: 2s}}\n"
                    "  - {transaction: b, sla: {p95: 1s}, alert: {critical: 0.5s}}\n")
    result = run(str(path))
    assert result.exit_code == 1
    assert "unknown key `notfy` in defaults; did you mean `notify`?" in result.output
    assert "critical-within-sla" in result.output  # transactions are still checked
    assert "no project" not in result.output and "no-notify" not in result.output
    assert "internal-error" not in result.output


def test_one_run_reports_the_problems_hidden_behind_other_errors(tmp_path: Path) -> None:
    """A duplicate YAML key, a broken default and a transaction with a bad value no longer hide
    the other checks: one run shows every round of fixes at once."""
    path = tmp_path / "p.yaml"
    path.write_text("""\
version: 1
name: shop
defaults:
  project: backend
  window: 5m
  window: 10m
  notify:
    - slack: "#Ops Alerts"
transactions:
  - transaction: GET /api/cart
    id: cart
    window: 7m
    sla: {p95: 500ms}
    alert: {critical: 400ms}
  - transaction: GET /api/cart-2
    id: cart
    sla: {p95: 500ms}
    alert: {critical: 2}
  - transaction: GET /api/other
    name: "{transaction}: {slaa}"
    alert: {critical: 3s, warning: 4s, metric: p95}
""")
    result = run("--format", "json", str(path))
    assert result.exit_code == 1
    found = {(d["line"], d["code"]) for d in json.loads(result.output)["diagnostics"]}
    assert found == {
        (6, "duplicate-yaml-key"),          # alone, this used to hide everything below
        (8, "bad-value"),                   # the Slack channel in the (broken) defaults
        (12, "bad-window"),                 # the transaction with a bad window ...
        (14, "critical-within-sla"),        # ... is still checked further
        (16, "duplicate-key"),              # and its key is still compared with the others
        (18, "bare-number"),
        (18, "critical-within-sla"),
        (20, "bad-template"),
        (21, "warning-not-below-critical"),
    }
    # Nothing guessed from what is broken: the dropped notify is not "no notify target".
    assert "no-notify" not in result.output and "missing-key" not in result.output


def test_the_console_script_ends_quickly_with_all_its_output(tmp_path: Path) -> None:
    """validate (and plan) end the process at once after their output (command.exit_now: no
    freeing of a large policy's objects one by one): everything written must still arrive,
    through a pipe, with the exit code."""
    import os
    import subprocess
    import sys

    script = Path(sys.executable).with_name("sentry-alerts")
    if not script.exists():
        pytest.skip("the sentry-alerts console script is not installed next to this Python")
    body = "".join(f"  - transaction: GET /api/{i}\n    alert: {{critical: 2, metric: p95}}\n"
                   for i in range(3000))
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + body)  # 3,000 bare-number warnings, about 500 KB of output
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as usual

    def run_script(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(script), *args], capture_output=True, text=True,
                              check=False, timeout=120, env=env)

    done = run_script("validate", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3001 and lines[-1].startswith("ok: checked 1 file, 3000 transactions")
    as_json = run_script("validate", "--strict", "--format", "json", str(path))
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["summary"]["warnings"] == 3000
    missing = run_script("validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "no such file" in missing.stdout
