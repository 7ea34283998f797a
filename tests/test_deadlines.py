"""Bounded time (issue 12): one overall deadline per command (--timeout), rate-limit resets
waited out on Sentry's clock and never longer than a window, and a message that says what was
done before the deadline."""

from __future__ import annotations

import time
from email.utils import formatdate

from stub_server import json_answer, stub_server
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.sentry.client import SentryClient

POLICY = """\
version: 1
name: deadline
organization: acme
defaults:
  project: backend
  environment: production
  notify:
    - slack: {channel: "#ops-alerts", channel_id: C0OPS00001}
transactions:
""" + "".join(f"""  - transaction: GET /api/slow-{i}
    sla: {{p95: 500ms}}
    alert: {{critical: 750ms}}
""" for i in range(4))


def cli(*args: str, url: str):
    env = {"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), env=env)


def rate_limited_for_an_hour(method, path, headers):
    return json_answer({"detail": "slow down"}, 429,
                       **{"X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 3600)})


def test_a_far_rate_limit_reset_ends_at_the_command_timeout(tmp_path):
    policy = tmp_path / "deadline.yaml"
    policy.write_text(POLICY)
    with stub_server(rate_limited_for_an_hour) as sentry:
        started = time.monotonic()
        result = cli("plan", str(policy), "--timeout", "2", "--no-fallback", url=sentry.url)
        took = time.monotonic() - started
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "overall --timeout of 2 s ran out" in result.stderr, result.stderr
    assert took < 10, f"the command took {took:.1f} s with --timeout 2"


def test_a_server_clock_ahead_does_not_stretch_a_rate_limit_wait():
    """Sentry's clock 300 s ahead, its window resetting in 1 s (its clock): wait about 1 s."""
    answers = []

    def skewed(method, path, headers):
        ahead = time.time() + 300
        answers.append(path)
        date = {"Date": formatdate(ahead, usegmt=True)}
        if len(answers) == 1:
            return json_answer({"detail": "slow down"}, 429, **date,
                               **{"X-Sentry-Rate-Limit-Reset": str(int(ahead) + 1)})
        return json_answer({"slug": "acme"}, **date)

    with stub_server(skewed) as sentry:
        client = SentryClient(sentry.url, ALERTS_TOKEN)
        started = time.monotonic()
        assert client.get("/api/0/organizations/acme/") == {"slug": "acme"}
        took = time.monotonic() - started
    assert took < 5, f"waited {took:.1f} s for a reset 1 s away on Sentry's clock"


def test_apply_says_what_it_did_before_the_deadline(emulator, tmp_path):
    policy = tmp_path / "deadline.yaml"
    policy.write_text(POLICY)
    emulator.faults.latency(0.8, route="detectors.create", times=None)
    result = cli("apply", str(policy), "--auto-approve", "--parallelism", "1", "--timeout", "3",
                 url=emulator.url)
    emulator.faults.clear()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "overall --timeout of 3 s ran out" in result.output, result.output
    assert "created (id" in result.output, result.output  # what was done before it
    assert "Apply" in result.output
    again = cli("apply", str(policy), "--auto-approve", url=emulator.url)
    assert again.exit_code == 0, again.output
    assert cli("plan", str(policy), "--detailed-exitcode", url=emulator.url).exit_code == 0
