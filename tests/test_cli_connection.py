"""What a user sees of the network, through the real CLI: a wrong URL fails at once with one
sentence, retries are announced as they happen, -v shows each HTTP call, and Sentry's
deprecation headers become one warning."""

from __future__ import annotations

import socket
import time

import pytest
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN

TRANSACTIONS = """\
  - transaction: GET /api/cart
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(policy_head("net") + TRANSACTIONS)
    return path


def run(*args: str, url: str, token: str = ALERTS_TOKEN):
    env = {"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": token, "NO_COLOR": "1"}
    started = time.monotonic()
    result = CliRunner().invoke(app, list(args), env=env)
    return result, time.monotonic() - started


def closed_port() -> int:
    with socket.socket() as s:  # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_one_clear_paragraph(result) -> str:
    err = result.stderr
    assert result.exit_code == 1, result.output
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in result.output and ALERTS_TOKEN not in result.output
    return err


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_closed_port_fails_at_once_naming_the_url(policy, command):
    url = f"http://127.0.0.1:{closed_port()}"
    extra = ["--auto-approve"] if command == "apply" else []
    result, took = run(command, str(policy), *extra, url=url)
    err = assert_one_clear_paragraph(result)
    assert f"Sentry at {url} could not be reached" in err
    assert "was refused" in err and "--url / SENTRY_URL" in err
    assert took < 10, f"took {took:.1f} s: the retry budget (120 s) must not apply here"
    assert "retrying" not in err


def test_a_host_name_that_does_not_resolve_fails_at_once(policy):
    result, took = run("plan", str(policy), url="https://sentry.invalid")
    err = assert_one_clear_paragraph(result)
    assert "Sentry at https://sentry.invalid could not be reached" in err
    assert "could not be resolved (DNS)" in err and "spelling" in err
    assert took < 10


def test_https_to_a_plain_http_server_is_a_tls_failure_at_once(policy, emulator):
    url = emulator.url.replace("http://", "https://")
    result, took = run("plan", str(policy), url=url)
    err = assert_one_clear_paragraph(result)
    assert "TLS handshake" in err and "http:// or https://?" in err
    assert took < 10
    assert emulator.request_log == []  # nothing was ever understood as a request


def test_retries_are_announced_on_stderr_as_they_happen(policy, emulator):
    emulator.faults.error_burst(2, status=503, route="detectors.list")
    result, _ = run("plan", str(policy), url=emulator.url)
    assert result.exit_code == 0, result.output
    retries = [line for line in result.stderr.splitlines() if "retrying" in line]
    assert len(retries) == 2, result.stderr
    assert retries[0].startswith("warning: Sentry answered 503 to GET "
                                 "/api/0/organizations/acme/detectors/; retrying in ")
    assert "(attempt 2 of 10; each request is retried for at most 120 s)" in retries[0]
    assert "(attempt 3 of 10;" in retries[1]
    assert "Plan: 1 to create" in result.stdout


def test_the_retry_budget_is_an_option_and_shown_in_help(policy, emulator):
    helped = CliRunner().invoke(app, ["plan", "--help"], env={"COLUMNS": "200"})
    assert "--retry-budget SECONDS" in helped.stdout and "[default: 120]" in helped.stdout
    emulator.faults.error_burst(None, status=503, route="detectors.list")
    result, took = run("plan", str(policy), "--retry-budget", "1", url=emulator.url)
    err = result.stderr
    assert result.exit_code == 1 and "Sentry answered 503 to GET" in err
    assert "at most 1 s" in err and took < 10


def test_verbose_logs_each_http_call_without_headers_or_token(policy, emulator):
    result, _ = run("plan", str(policy), "-v", url=emulator.url)
    assert result.exit_code == 0, result.output
    calls = [line for line in result.stderr.splitlines() if " → " in line]
    assert calls[0].startswith("GET /api/0/organizations/acme/ → 200 in ")
    assert any(line.startswith("GET /api/0/organizations/acme/detectors/ → 200") for line in calls)
    assert len(calls) == len(emulator.request_log)
    assert ALERTS_TOKEN not in result.output and "Authorization" not in result.output
    quiet, _ = run("plan", str(policy), url=emulator.url)
    assert " → " not in quiet.stderr


def test_deprecation_headers_become_one_warning_naming_date_and_replacement(
        policy, emulator_factory):
    emu = emulator_factory(profile="saas-2026-05")
    result, _ = run("plan", str(policy), "--backend", "alert-rules", url=emu.url)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "deprecated" in line]
    assert warnings == [
        "warning: Sentry says GET /api/0/organizations/acme/alert-rules/ is deprecated and may "
        "stop working from 2026-05-14; its replacement is /api/0/organizations/acme/detectors/ "
        "(the monitors API: --backend monitors, or auto)."]
    assert len(emu.calls(path_contains="/alert-rules/")) > 1  # one warning, several answers
