"""The text plan on a terminal, as Terraform shows one: changed values old in red and new in
green, the summary line in bold; no colour when NO_COLOR is set or stdout is not a terminal;
"all environments" where the policy sets none."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN

POLICY = """\
version: 1
name: coloured
organization: acme
defaults:
  project: backend
  notify:
    - slack: {{channel: "#ops-alerts", channel_id: C0OPS00001}}
transactions:
  - transaction: GET /api/cart
    sla: {{p95: 500ms}}
    alert: {{critical: {critical}}}
"""
RED, GREEN, BOLD, RESET = "\033[31m", "\033[32m", "\033[1m", "\033[0m"


def plan_on_a_terminal(emu, policy, **env_extra: str) -> str:
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(SENTRY_URL=emu.url, SENTRY_AUTH_TOKEN=ALERTS_TOKEN, **env_extra)
    proc = subprocess.Popen([sys.executable, "-m", "sentry_alerts", "plan", str(policy)],
                            stdout=slave, stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return seen.decode().replace("\r\n", "\n")


def test_changed_values_are_red_and_green_and_the_summary_bold(emulator, tmp_path):
    policy = tmp_path / "coloured.yaml"
    policy.write_text(POLICY.format(critical="750ms"))
    env = {"SENTRY_URL": emulator.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN}
    created = CliRunner().invoke(app, ["apply", str(policy), "--auto-approve"], env=env)
    assert created.exit_code == 0, created.output
    assert "      environment  all environments" in created.stdout  # not "none"
    assert "\033[" not in created.stdout  # not a terminal: no colour

    policy.write_text(POLICY.format(critical="900ms"))
    shown = plan_on_a_terminal(emulator, policy)
    assert f"critical: {RED}750 ms{RESET} → {GREEN}900 ms{RESET}" in shown
    assert f"{BOLD}Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged.{RESET}" in shown

    plain = plan_on_a_terminal(emulator, policy, NO_COLOR="1")
    assert "critical: 750 ms → 900 ms" in plain and "\033[" not in plain
