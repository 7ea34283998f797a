"""Two or three applies of one policy at once (two CI pipelines, a retried job) end with
exactly one alert per transaction; a plan that finds copies shows them as a change and apply
removes the younger ones (issue 12; the mechanism: sentry_alerts/apply_copies.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.model import Marker

POLICY = "twice"
COMBOS = [("saas-2026", "monitors", "detectors.create"),
          ("self-hosted-25", "alert-rules", "alert_rules.create")]


def policy_text(count: int = 4) -> str:
    txs = "".join(f"""
  - transaction: GET /api/twice-{i}
    sla: {{p95: 500ms}}
    alert: {{critical: 750ms}}
""" for i in range(count))
    return f"""\
version: 1
name: {POLICY}
organization: acme
defaults:
  project: backend
  environment: production
  notify:
    - slack: {{channel: "#ops-alerts", channel_id: C0OPS00001}}
transactions:{txs}"""


def copies(emu) -> Counter:
    return Counter(Marker.find(item.get("description")).key
                   for _, _, item in managed_objects(emu, "acme", POLICY))


def ids_by_key(emu) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for _, obj_id, item in managed_objects(emu, "acme", POLICY):
        found.setdefault(Marker.find(item.get("description")).key, []).append(int(obj_id))
    return {k: sorted(v) for k, v in found.items()}


@pytest.fixture(params=COMBOS, ids=[c[1] for c in COMBOS])
def world(request, emulator_factory, tmp_path):
    profile, backend, create_route = request.param
    emu = emulator_factory(profile=profile)
    path = tmp_path / "twice.yaml"
    path.write_text(policy_text())
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}

    def cli(*args: str):
        return CliRunner().invoke(app, [*args, str(path), "--backend", backend], env=env)

    return emu, backend, create_route, path, env, cli


def test_concurrent_applies_leave_one_alert_per_transaction(world):
    emu, backend, create_route, path, env, cli = world
    # Slow creates: every run plans (and sees nothing) before any create lands.
    emu.faults.latency(1.5, route=create_route, times=None)
    runs = [subprocess.Popen([sys.executable, "-m", "sentry_alerts", "apply", str(path),
                              "--auto-approve", "--backend", backend],
                             env={**os.environ, **env}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    emu.faults.clear()
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out + err
        assert "Traceback" not in err
    assert sorted(copies(emu).values()) == [1, 1, 1, 1], copies(emu)
    assert "another apply at the same time" in "".join(err for _, err in outputs)
    again = cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_copies_of_one_key_are_a_change_and_apply_keeps_the_oldest(world):
    emu, backend, create_route, path, env, cli = world
    assert cli("apply", "--auto-approve").exit_code == 0
    [(kind, oldest, item)] = [m for m in managed_objects(emu, "acme", POLICY)
                              if "twice-0" in m[2]["name"]]
    # A second copy, as a concurrent run without the repair left it.
    with emu.lock:
        store = emu.state.org("acme").store(kind)
        younger = max(store) + 1
        store[younger] = {**item, "id": str(younger)}
    planned = cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "younger copy" in planned.output
    applied = cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [oldest] in [v for k, v in ids_by_key(emu).items() if k.endswith("twice-0")]
    assert cli("plan", "--detailed-exitcode").exit_code == 0
