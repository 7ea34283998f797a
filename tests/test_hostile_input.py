"""Hostile input and the smaller points of issue 12, item 7, each through the real CLI:
devices and pipes as policy files, guide folders with a person's files, control and bidi
characters, SIGTERM, a 410 on the monitors API, hostile server answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from stub_server import stub_server
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.sentry.http_errors import describe_http_error

POLICY = """\
version: 1
name: hostile
organization: acme
defaults:
  project: backend
  environment: production
  notify:
    - slack: {{channel: "#ops-alerts", channel_id: C0OPS00001}}
transactions:
  - transaction: "{transaction}"
    sla: {{p95: 500ms}}
    alert: {{critical: 750ms}}
"""


def cli(*args: str, url: str = "http://127.0.0.1:9", token: str | None = ALERTS_TOKEN):
    env = {"SENTRY_URL": url, "NO_COLOR": "1"}
    if token:
        env["SENTRY_AUTH_TOKEN"] = token
    return CliRunner().invoke(app, list(args), env=env)


def one_paragraph(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_device_is_refused_at_once_not_read_forever(command):
    started = time.monotonic()
    out = one_paragraph(cli(command, "/dev/zero"))
    assert "not a regular file" in out or "not a saved plan" in out or "policy" in out
    assert time.monotonic() - started < 10


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "policy.yaml"
    os.mkfifo(fifo)
    started = time.monotonic()
    out = one_paragraph(cli("validate", str(fifo)))
    assert "not a regular file" in out
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("char", ["\a", "\x1b[31m", "\u202e", "\u200b", "\x00"])
def test_control_bidi_and_zero_width_characters_are_refused(tmp_path, char):
    policy = tmp_path / "hostile.yaml"
    escaped = char.encode("unicode_escape").decode().replace("\\x", "\\x")
    policy.write_text(POLICY.format(transaction=f"GET /api/{escaped}x"))
    out = one_paragraph(cli("validate", str(policy)))
    assert "invisible-character" in out and "U+" in out


@pytest.mark.parametrize(("text", "found"), [
    ("GET /api/\u202ex", "U+202E"), ("GET /api/\u200bx", "U+200B"),
    ("GET /api/\u2028x", "U+2028"), ("GET /api/\u00a0x", None), ("GET /api/é x", None)])
def test_characters_written_as_they_are_are_checked_too(tmp_path, text, found):
    """Not only escapes: a bidi or zero-width character typed into the file is refused, and
    a file of ordinary text (accents, a no-break space) is not (the check first looks at the
    whole file at once: yamltree._printable)."""
    policy = tmp_path / "hostile.yaml"
    policy.write_text(POLICY.format(transaction=text), encoding="utf-8")
    result = cli("validate", str(policy))
    if found:
        assert "invisible-character" in one_paragraph(result) and found in result.output
    else:
        assert "invisible-character" not in one_paragraph(result, 0)


def test_guide_removes_only_pages_it_wrote(tmp_path):
    policy = tmp_path / "hostile.yaml"
    policy.write_text(POLICY.format(transaction="GET /api/a"))
    out = tmp_path / "guide"
    assert cli("guide", str(policy), "--out", str(out)).exit_code == 0
    mine = [p for p in out.rglob("*.md") if p.name != "index.md"]
    folder = mine[0].parent
    notes = folder / "my-notes.md"
    notes.write_text("a person's notes, not generated\n")
    policy.write_text(POLICY.format(transaction="GET /api/b"))
    assert cli("guide", str(policy), "--out", str(out)).exit_code == 0
    assert notes.is_file(), "guide deleted a file it did not write"
    assert not mine[0].exists()  # its own stale page is gone


def test_sigterm_says_so_and_exits_143(emulator, tmp_path):
    policy = tmp_path / "hostile.yaml"
    policy.write_text(POLICY.format(transaction="GET /api/a"))
    # The emulator logs a call once answered: the organization answers at once, then the
    # backend probe hangs, and SIGTERM arrives while the command waits for it.
    emulator.faults.latency(10, route="detectors.list", times=None)
    env = {**os.environ, "SENTRY_URL": emulator.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "sentry_alerts", "plan", str(policy)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not emulator.calls("GET", "/organizations/") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, out + err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err


def test_a_410_on_the_monitors_api_does_not_advise_the_monitors_backend():
    text = describe_http_error("GET", "/api/0/organizations/acme/detectors/", 410,
                               {"message": "This API no longer exists."})
    assert "--backend monitors" not in text and "--backend alert-rules" in text
    legacy = describe_http_error("GET", "/api/0/organizations/acme/alert-rules/", 410, None)
    assert "--backend monitors" in legacy


HOSTILE_ANSWERS = {
    "invalid-json": (200, {"Content-Type": "application/json"}, b"{not json"),
    "html-error-page": (502, {"Content-Type": "text/html"}, b"<html><h1>Bad gateway</h1>"),
    "ten-megabytes": (200, {"Content-Type": "application/json"},
                      b'{"x": "' + b"a" * 10_000_000 + b'"}'),
    "wrong-type": (200, {"Content-Type": "application/json"}, b'["not", "an", "org"]'),
    "missing-fields": (200, {"Content-Type": "application/json"}, b"{}"),
}


@pytest.mark.parametrize("answer", sorted(HOSTILE_ANSWERS))
def test_hostile_server_answers_end_in_a_sentence_in_bounded_time(tmp_path, answer):
    policy = tmp_path / "hostile.yaml"
    policy.write_text(POLICY.format(transaction="GET /api/a"))
    with stub_server(lambda m, p, h: HOSTILE_ANSWERS[answer]) as sentry:
        started = time.monotonic()
        result = cli("plan", str(policy), "--no-fallback", "--retry-budget", "1",
                     "--timeout", "20", url=sentry.url)
    out = one_paragraph(result)
    assert "this is a bug" not in out.lower() and "Sentry" in out
    assert time.monotonic() - started < 25
