"""Ctrl-C during apply, typed into a real (pseudo-)terminal: the first stops sending, waits for
the changes in flight and prints the same summary as a finished apply (what was done, what was
not), exit 130; the second exits at once. Every alert reported as created exists, and every
alert that exists was reported. SIGTERM (a CI job cancelled) does the same, exit 143, and the
next apply converges without a duplicate."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import time
from collections import Counter
from pathlib import Path

from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.model import Marker

POLICY = "interrupted"
COUNT = 24


def write_policy(path: Path) -> None:
    entries = "".join(f"  - transaction: GET /api/item-{i}\n"
                      "    sla: {p95: 500ms}\n"
                      "    alert: {critical: 750ms}\n" for i in range(COUNT))
    path.write_text(policy_head(POLICY) + entries)


class Terminal:
    """`sentry-alerts ARGS` with a pseudo-terminal as its controlling terminal, so that typing
    Ctrl-C (the byte 0x03) makes the terminal send SIGINT, as in a person's shell."""

    def __init__(self, emu, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN,
               "NO_COLOR": "1", "COLUMNS": "200", "LINES": "500"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sentry_alerts", *args], stdin=slave, stdout=slave,
            stderr=slave, env=env, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.seen = ""

    def read_until(self, pattern: str, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.seen):
                return True
            if not self._read(0.1) and self.proc.poll() is not None:
                return bool(re.search(pattern, self.seen))
        return False

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(chunk)

    def type(self, text: str) -> None:
        """Type `text` (e.g. "yes\n" at the confirmation), a moment after the prompt appeared."""
        time.sleep(0.2)
        os.write(self.master, text.encode())

    def ctrl_c(self) -> None:
        # As a person would, a moment after the text appeared: a 0x03 written the instant a
        # prompt is printed can be lost by the pseudo-terminal (seen about 1 in 2 times here).
        time.sleep(0.2)
        os.write(self.master, b"\x03")

    def finish(self, timeout: float = 60.0) -> tuple[int, str]:
        self.read_until(r"\Z(?!x)", timeout=0)  # drain what is there
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        os.close(self.master)
        # The terminal echoes the typed Ctrl-C as "^C" wherever the output happens to be.
        return self.proc.wait(timeout=5), self.seen.replace("^C", "")


def test_first_ctrl_c_stops_sending_waits_and_reports_what_exists(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    policy = tmp_path / "interrupted.yaml"
    write_policy(policy)
    emu.faults.latency(0.4, route="detectors.create")  # each create takes a while
    term = Terminal(emu, "apply", str(policy), "--auto-approve", "--parallelism", "4")
    assert term.read_until(r"✓ create "), term.seen
    term.ctrl_c()
    code, shown = term.finish()

    assert code == 130, shown
    assert "Stopping: nothing more is sent to Sentry" in shown
    summary = re.search(r"Apply interrupted: (\d+) created, 0 updated, 0 deleted; (\d+) not sent\.",
                        shown)
    assert summary, shown
    created, not_sent = int(summary.group(1)), int(summary.group(2))
    exists = len(managed_objects(emu, "acme", POLICY))
    reported = shown.count("✓ create ")
    assert created == exists == reported, (created, exists, reported, shown)  # all, and only
    assert created + not_sent == COUNT and not_sent > 0 and created >= 1
    assert len(emu.calls("POST", "/detectors/")) == created  # nothing sent after the Ctrl-C
    assert "Traceback" not in shown and ALERTS_TOKEN not in shown
    assert "Run apply again to continue" in shown


def test_second_ctrl_c_exits_at_once(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    policy = tmp_path / "interrupted.yaml"
    write_policy(policy)
    emu.faults.latency(4.0, route="detectors.create")  # the creates in flight take long
    term = Terminal(emu, "apply", str(policy), "--auto-approve", "--parallelism", "2")
    assert term.read_until(rf"Plan: {COUNT} to create"), term.seen
    deadline = time.monotonic() + 10
    while not emu.calls("POST", "/detectors/") and time.monotonic() < deadline:
        time.sleep(0.05)  # a create is in flight
    term.ctrl_c()
    assert term.read_until(r"Stopping: "), term.seen
    started = time.monotonic()
    term.ctrl_c()
    code, shown = term.finish()
    assert code == 130, shown
    assert time.monotonic() - started < 2.5  # not the ~4 s the requests in flight still need
    assert "Interrupted again: exiting now" in shown and "Traceback" not in shown


def test_ctrl_c_before_anything_is_sent_says_nothing_changed(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    policy = tmp_path / "interrupted.yaml"
    write_policy(policy)
    term = Terminal(emu, "apply", str(policy))  # asks for "yes"
    assert term.read_until(r"Enter a value:"), term.seen
    term.ctrl_c()
    code, shown = term.finish()
    assert code == 130, shown
    assert "interrupted (Ctrl-C); nothing was changed in Sentry" in shown
    assert managed_objects(emu, "acme", POLICY) == [] and not emu.calls("POST")


def test_sigterm_during_apply_stops_reports_and_the_next_apply_converges(emulator_factory,
                                                                         tmp_path):
    """As a CI runner cancels a job: SIGTERM to the process, no terminal."""
    emu = emulator_factory(profile="self-hosted-25")  # the legacy alert rules this time
    policy = tmp_path / "interrupted.yaml"
    write_policy(policy)
    emu.faults.latency(0.3, route="alert_rules.create")  # mid-way when the signal comes
    env = {**os.environ, "SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN,
           "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sentry_alerts", "apply", str(policy),
                             "--auto-approve", "--parallelism", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(emu.calls("POST", "/alert-rules/")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # two creates answered, more in flight
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 143, out + err
    assert "Terminated (SIGTERM): stopping. Nothing more is sent to Sentry" in err
    summary = re.search(r"Apply interrupted: (\d+) created, 0 updated, 0 deleted; (\d+) not "
                        r"sent\.", out)
    assert summary, out + err
    created, not_sent = int(summary.group(1)), int(summary.group(2))
    assert created == len(managed_objects(emu, "acme", POLICY)) == out.count("✓ create ")
    assert created >= 2 and not_sent > 0 and created + not_sent == COUNT
    assert "Traceback" not in out + err and "Run apply again to continue" in out

    emu.faults.clear()
    cli_env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    again = CliRunner().invoke(app, ["apply", str(policy), "--auto-approve"], env=cli_env)
    assert again.exit_code == 0, again.output
    assert f"Apply complete: {not_sent} created, 0 updated, 0 deleted." in again.output
    keys = Counter(Marker.find(item["description"]).key
                   for _, _, item in managed_objects(emu, "acme", POLICY))
    assert len(keys) == COUNT and set(keys.values()) == {1}  # each once: no duplicate
    clean = CliRunner().invoke(app, ["plan", str(policy), "--detailed-exitcode"], env=cli_env)
    assert clean.exit_code == 0, clean.output
