"""A reader that stops reading (`sentry-alerts plan | head`): the command stops with exit 141
(128 + SIGPIPE), as other Unix tools do, instead of reporting a bug of its own. Read-only
commands say nothing more; apply, which may have changed Sentry before, says so on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sentry_alerts.emulator.seed import ADMIN_TOKEN

SCRIPT = Path(sys.executable).with_name("sentry-alerts")
POLICY = Path(__file__).resolve().parents[1] / "policies" / "critical-endpoints.yaml"


def _run_with_stdout_closed(args: list[str], env: dict[str, str] | None = None):
    """Run the console script with its stdout a pipe whose reader has already gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([str(SCRIPT), *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120, env=env, check=False)
    finally:
        os.close(write)
    return done


@pytest.mark.skipif(not SCRIPT.is_file(), reason="needs the installed console script")
@pytest.mark.parametrize("args", [
    ["validate", str(POLICY)],               # the console script's own validate
    ["validate", "--format", "json", str(POLICY)],
    ["schema"],                              # through typer
])
def test_a_closed_pipe_ends_a_read_only_command_quietly(args):
    done = _run_with_stdout_closed(args)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


@pytest.mark.skipif(not SCRIPT.is_file(), reason="needs the installed console script")
def test_a_closed_pipe_during_plan_and_apply(emulator):
    env = {**os.environ, "SENTRY_URL": emulator.url, "SENTRY_AUTH_TOKEN": ADMIN_TOKEN,
           "SENTRY_ORG": "acme"}
    plan = _run_with_stdout_closed(["plan", str(POLICY)], env)
    assert (plan.returncode, plan.stderr) == (141, "")

    apply = _run_with_stdout_closed(["apply", str(POLICY), "--auto-approve"], env)
    assert apply.returncode == 141
    assert "broken pipe" in apply.stderr and "sentry-alerts plan" in apply.stderr
    assert "bug" not in apply.stderr and "Traceback" not in apply.stderr

    # whatever it managed to do, the next apply converges: one alert per transaction
    again = subprocess.run([str(SCRIPT), "apply", str(POLICY), "--auto-approve"], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    check = subprocess.run([str(SCRIPT), "plan", str(POLICY), "--detailed-exitcode"], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "2 unchanged" in check.stdout
