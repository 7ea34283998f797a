"""plan and apply end to end: the real CLI, the real client, the emulator over sockets.

Every test runs on each backend of each server profile it applies to:
saas-2026 (monitors only), self-hosted-25 (alert rules only), self-hosted-26.7 (both).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import edit_threshold_in_ui, managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN

COMBOS = [
    ("saas-2026", "monitors"),
    ("self-hosted-25", "alert-rules"),
    ("self-hosted-26.7", "alert-rules"),
    ("self-hosted-26.7", "monitors"),
]
POLICY = "e2e-shop"

TRANSACTIONS_TEMPLATE = """\
  - transaction: GET /api/cart
    sla: {{p95: 500ms}}
    alert: {{critical: {cart_critical}}}
  - transaction: POST /api/checkout
    sla: {{p95: 800ms}}
    alert: {{critical: 1200ms, warning: 1000ms}}
  - transaction: GET /api/products
    alert: {{critical: 400ms, metric: p75}}
    window: 15m
    notify:
      - slack: {{channel: "#ops-alerts", channel_id: C0OPS00001}}
      - email: team:sre
"""


@dataclass
class World:
    emu: object
    backend: str
    policy: Path

    def write_policy(self, cart_critical: str = "750ms") -> None:
        # The head gives the Slack channel's id: that spares the legacy API's slow async Slack
        # lookup (tested in test_e2e_faults).
        text = policy_head(POLICY) + TRANSACTIONS_TEMPLATE.format(cart_critical=cart_critical)
        self.policy.write_text(text)

    def run(self, *args: str, token: str = ALERTS_TOKEN, backend: bool = True):
        argv = [*args, str(self.policy)]
        if backend:
            argv += ["--backend", self.backend]
        env = {"SENTRY_URL": self.emu.url, "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme",
               "NO_COLOR": "1"}
        return CliRunner().invoke(app, argv, env=env)

    def managed(self) -> list[tuple[str, int, dict]]:
        return managed_objects(self.emu, "acme", POLICY)


@pytest.fixture(params=COMBOS, ids=[f"{p}-{b}" for p, b in COMBOS])
def world(request, emulator_factory, tmp_path) -> World:
    profile, backend = request.param
    emu = emulator_factory(profile=profile)
    w = World(emu, backend, tmp_path / "shop.yaml")
    w.write_policy()
    return w


def applied(world: World) -> None:
    result = world.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 3 created" in result.output


def test_apply_from_empty_then_plan_shows_no_changes(world):
    plan = world.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged." in plan.output
    assert f"Using {world.backend}" in plan.output
    assert world.managed() == []  # plan changed nothing

    applied(world)
    assert len(world.managed()) == 3

    again = world.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged." in again.output

    nothing = world.run("apply", "--auto-approve")
    assert nothing.exit_code == 0 and "No changes." in nothing.output
    assert len(world.managed()) == 3


def test_changing_one_threshold_shows_exactly_that_change(world):
    applied(world)
    world.write_policy(cart_critical="900ms")
    plan = world.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 0 to create, 1 to update, 0 to delete, 2 unchanged." in plan.output
    update = plan.output.split("~ update ", 1)[1].split("\n\n", 1)[0]
    assert update.startswith("get-api-cart")
    assert [line.strip() for line in update.splitlines()[1:]] == ["critical: 750 ms → 900 ms"]

    result = world.run("apply", "--auto-approve")
    assert result.exit_code == 0 and "Apply complete: 0 created, 1 updated" in result.output
    assert world.run("plan", "--detailed-exitcode").exit_code == 0


def test_out_of_band_edit_is_drift_and_apply_repairs_it(world):
    applied(world)
    edit_threshold_in_ui(world.emu, "acme", POLICY, 5000, key="get-api-cart")
    plan = world.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "critical: 5000 ms → 750 ms" in plan.output
    assert "1 to update" in plan.output

    assert world.run("apply", "--auto-approve").exit_code == 0
    assert world.run("plan", "--detailed-exitcode").exit_code == 0


def test_out_of_band_deletion_is_recreated(world):
    applied(world)
    kind, obj_id, item = world.managed()[0]
    world.emu.delete(kind, obj_id, org="acme")
    plan = world.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 1 to create, 0 to update, 0 to delete, 2 unchanged." in plan.output
    assert f'"{item["name"]}"' in plan.output.split("+ create", 1)[1]

    result = world.run("apply", "--auto-approve")
    assert result.exit_code == 0 and "Apply complete: 1 created" in result.output, result.output
    assert len(world.managed()) == 3
    assert world.run("plan", "--detailed-exitcode").exit_code == 0


def test_unmanaged_same_name_alert_is_a_conflict_and_adopt_takes_it_over(world):
    applied(world)
    # A person made this alert by hand: same name, no marker in its description.
    kind, obj_id, item = world.managed()[0]
    world.emu.edit(kind, obj_id, {"description": "made by hand in the UI"}, org="acme")

    plan = world.run("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '! conflict' in plan.output and f"(id {obj_id})" in plan.output
    assert "--adopt" in plan.output
    assert "Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged; 1 conflict." in plan.output

    refused = world.run("apply", "--auto-approve")
    assert refused.exit_code == 1 and "conflicts" in refused.output
    assert len(world.managed()) == 2  # nothing created beside the hand-made alert

    adopted = world.run("apply", "--auto-approve", "--adopt")
    assert adopted.exit_code == 0, adopted.output
    assert "adopts the existing alert" in adopted.output
    assert [o for _, o, _ in world.managed()].count(obj_id) == 1
    assert len(world.managed()) == 3
    assert world.run("plan", "--detailed-exitcode").exit_code == 0


def test_other_policies_and_unmarked_alerts_are_never_touched(world):
    applied(world)
    kind, obj_id, item = world.managed()[0]
    # Another policy now claims this alert (a different marker), with another name.
    other = item["description"].replace(f"policy {POLICY},", "policy payments,")
    world.emu.edit(kind, obj_id, {"description": other, "name": "payments alert"}, org="acme")
    result = world.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 1 created" in result.output
    with world.emu.lock:
        store = world.emu.state.org("acme").store(kind)
        assert store[obj_id]["description"] == other and store[obj_id]["name"] == "payments alert"


def test_detailed_exitcode_is_1_on_errors(world):
    result = world.run("plan", "--detailed-exitcode", "--org", "no-such-org")
    assert result.exit_code == 1
    assert "error:" in result.output and "Traceback" not in result.output
    assert ALERTS_TOKEN not in result.output


def test_apply_refuses_without_a_terminal_and_without_auto_approve(world):
    result = world.run("apply")
    assert result.exit_code == 1
    assert "--auto-approve" in result.output and "no terminal" in result.output
    assert world.managed() == []


@pytest.mark.parametrize("profile,expected", [("saas-2026", "monitors"),
                                              ("self-hosted-25", "alert-rules")])
def test_auto_backend_says_which_api_and_why(emulator_factory, tmp_path, profile, expected):
    w = World(emulator_factory(profile=profile), "auto", tmp_path / "shop.yaml")
    w.write_policy()
    result = w.run("plan", backend=False)
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[1]
    assert header.startswith(f"Using {expected} (") and "dataset " in header


def _apply_in_terminal(emu, policy: Path, answer: str, *args: str,
                       **env_extra: str) -> tuple[int, str]:
    """Run `sentry-alerts apply` with a pseudo-terminal as its stdin/stdout, answer the
    confirmation question, and return (exit code, everything it printed)."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    master, slave = pty.openpty()
    env = {**os.environ, "SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN,
           "SENTRY_ORG": "acme", "NO_COLOR": "1", "COLUMNS": "200", **env_extra}
    proc = subprocess.Popen([sys.executable, "-m", "sentry_alerts", "apply", str(policy), *args],
                            stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    seen, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"Enter a value:" in seen:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    return proc.wait(timeout=30), seen.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.parametrize("answer,code", [("yes", 0), ("y", 1)])
def test_apply_in_a_terminal_asks_and_only_yes_applies(emulator_factory, tmp_path, answer, code):
    w = World(emulator_factory(profile="saas-2026"), "auto", tmp_path / "shop.yaml")
    w.write_policy()
    exit_code, shown = _apply_in_terminal(w.emu, w.policy, answer)
    assert "Apply these changes to acme? Only 'yes' is accepted." in shown
    assert exit_code == code, shown
    if answer == "yes":
        assert "Apply complete: 3 created" in shown and len(w.managed()) == 3
    else:
        assert "apply cancelled; nothing was changed" in shown and w.managed() == []


def test_progress_bar_only_on_a_terminal_with_more_work_than_a_screen(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    w = World(emu, "auto", tmp_path / "shop.yaml")
    w.write_policy()
    # 3 alerts on a 2-line terminal: more than a screenful, so the bar is drawn (on stderr).
    code, shown = _apply_in_terminal(emu, w.policy, "", "--auto-approve", LINES="2")
    assert code == 0, shown
    assert "] 3/3 alerts" in shown and "Apply complete: 3 created" in shown

    # The same work without a terminal (CI logs): outcome lines only, no bar.
    w.write_policy(cart_critical="900ms")
    piped = w.run("apply", "--auto-approve", backend=False)
    assert piped.exit_code == 0, piped.output
    assert "1 updated" in piped.output and "/1 alerts" not in piped.output
    assert "\r" not in piped.output


def test_policy_warnings_are_shown_and_do_not_stop_the_plan(emulator_factory, tmp_path):
    w = World(emulator_factory(profile="saas-2026"), "auto", tmp_path / "quiet.yaml")
    w.policy.write_text("""\
version: 1
name: quiet
organization: acme
defaults: {project: backend}
transactions:
  - transaction: GET /api/unwatched
    sla: {p95: 500ms}
    alert: {critical: 750ms}
""")
    result = w.run("plan", backend=False)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "[no-notify]" in result.output
    assert "Plan: 1 to create" in result.output


def test_ctrl_c_during_apply_sends_nothing_more_and_the_next_run_converges(
        emulator_factory, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    emu = emulator_factory(profile="self-hosted-26.7")
    w = World(emu, "monitors", tmp_path / "shop.yaml")
    w.write_policy()
    emu.faults.latency(0.7, route="detectors.create")  # each create takes a while
    env = {**os.environ, "SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN,
           "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sentry_alerts", "apply", str(w.policy),
                             "--auto-approve", "--parallelism", "1", "--backend", "monitors"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("✓ create"):
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.communicate(timeout=30)[0]
    output = "".join(lines) + rest
    assert proc.returncode == 130, output
    assert "Apply interrupted: " in output and "not sent" in output
    assert "Traceback" not in output
    created = len(w.managed())
    assert 1 <= created < 3  # the one in flight finishes; the queued ones were never sent
    assert f"Apply interrupted: {created} created" in output

    emu.faults.clear()
    again = w.run("apply", "--auto-approve")
    assert again.exit_code == 0 and f"Apply complete: {3 - created} created" in again.output
    assert len(w.managed()) == 3
