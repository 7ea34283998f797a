"""A newcomer's path, using only what `sentry-alerts emulator` prints: paste its `export` lines,
run the commands it suggests, and reach a converged plan without opening a source or seed
file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from conftest import ROOT


def start_emulator() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sentry_alerts", "emulator", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT)
    banner = ""
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while "Press Ctrl-C to stop." not in banner and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        banner += line
    return proc, banner


def test_the_banner_has_paste_ready_exports_and_the_seed_and_they_lead_to_a_converged_plan():
    proc, banner = start_emulator()
    try:
        assert "Press Ctrl-C to stop." in banner, banner
        exports = dict(re.findall(r"^  export (SENTRY_\w+)=(\S+)$", banner, re.M))
        assert set(exports) == {"SENTRY_URL", "SENTRY_AUTH_TOKEN", "SENTRY_ORG"}, banner
        assert exports["SENTRY_ORG"] == "acme"
        # The seed, as a policy needs it: projects with environments, teams, Slack channels.
        assert ("  projects:  backend (environments: production, staging); frontend "
                "(environments: production)") in banner
        assert "  teams:     backend, sre" in banner
        assert "alice@acme.example" in banner
        assert "Slack workspace Acme: #ops-alerts, #backend" in banner
        suggested = re.findall(r"^  \.venv/bin/sentry-alerts (plan|apply) (\S+)$", banner, re.M)
        assert suggested == [("plan", "policies/critical-endpoints.yaml"),
                             ("apply", "policies/critical-endpoints.yaml")]

        # Exactly what a person's shell would have after pasting the export lines.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
        env.update(exports, NO_COLOR="1")

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "sentry_alerts", *args], cwd=ROOT,
                                  env=env, capture_output=True, text=True, timeout=120)

        policy = suggested[0][1]
        first = cli("plan", policy)
        assert first.returncode == 0 and "Plan: 2 to create" in first.stdout, first.stderr
        applied = cli("apply", policy, "--auto-approve")
        assert applied.returncode == 0 and "Apply complete: 2 created" in applied.stdout, (
            applied.stdout + applied.stderr)
        converged = cli("plan", policy, "--detailed-exitcode")
        assert converged.returncode == 0, converged.stdout + converged.stderr
        assert "No changes" in converged.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0 and "Emulator stopped." in rest
