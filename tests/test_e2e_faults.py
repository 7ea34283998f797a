"""apply under faults: 429 storms, 5xx bursts, answers lost after Sentry committed, Slack lookups
that fail. Whatever happens: no duplicate, no lost change, a clear report per alert, exit 1 on a
partial failure, and the next run converges.

Most tests call the same functions the CLI runs (`plan_policy`, `apply_and_report`) with short
client pauses (retry settle, task polling) so the suite stays fast; the exit-code tests use the
real CLI.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.model import Marker
from sentry_alerts.plan import plan_policy
from sentry_alerts.terminal import apply_and_report

POLICY = "faulty"
FAST = {"uncertain_settle": 0.05, "poll_interval": 0.05, "task_deadline": 10.0}
CREATE_ROUTE = {"monitors": "detectors.create", "alert-rules": "alert_rules.create"}
UPDATE_ROUTE = {"monitors": "detectors.update", "alert-rules": "alert_rules.update"}


def policy_text(channel: str = '{channel: "#ops-alerts", channel_id: C0OPS00001}',
                critical: str = "750ms", count: int = 4) -> str:
    txs = "".join(f"""
  - transaction: GET /api/item-{i}
    sla: {{p95: 500ms}}
    alert: {{critical: {critical if i == 0 else '800ms'}}}
""" for i in range(count))
    return f"""\
version: 1
name: {POLICY}
organization: acme
defaults:
  project: backend
  environment: production
  name: "{{transaction}} latency"
  notify:
    - slack: {channel}
transactions:{txs}"""


class Run:
    def __init__(self, emu, backend: str, path: Path) -> None:
        self.emu, self.backend, self.path = emu, backend, path

    def write(self, text: str) -> None:
        self.path.write_text(text)

    def plan(self):
        return plan_policy(str(self.path), token=ALERTS_TOKEN, url=self.emu.url, org="acme",
                           backend=self.backend, connect_options=FAST).plan

    def apply(self) -> tuple[object, str]:
        planned = plan_policy(str(self.path), token=ALERTS_TOKEN, url=self.emu.url, org="acme",
                              backend=self.backend, connect_options=FAST)
        out = io.StringIO()
        result = apply_and_report(planned.plan, planned.connection.backend, out=out,
                                  err=io.StringIO(), parallelism=4)
        return result, out.getvalue()

    def cli(self, *args: str):
        env = {"SENTRY_URL": self.emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
        return CliRunner().invoke(app, [*args, str(self.path), "--backend", self.backend],
                                  env=env)

    def keys(self) -> Counter:
        """How many live alerts carry each key of this policy's marker (duplicates show > 1)."""
        found = Counter()
        for _, _, item in managed_objects(self.emu, "acme", POLICY):
            marker = Marker.find(item.get("description"))
            found[marker.key] += 1
        return found

    def converged(self) -> bool:
        plan = self.plan()
        return not plan.has_changes and plan.summary()["unchanged"] == len(self.keys())


COMBOS = [("saas-2026", "monitors"), ("self-hosted-25", "alert-rules")]


@pytest.fixture(params=COMBOS, ids=[b for _, b in COMBOS])
def run(request, emulator_factory, tmp_path) -> Run:
    profile, backend = request.param
    r = Run(emulator_factory(profile=profile), backend, tmp_path / "faulty.yaml")
    r.write(policy_text())
    return r


def assert_once_each(run: Run, count: int = 4) -> None:
    keys = run.keys()
    assert sorted(keys.values()) == [1] * count, f"duplicates or missing alerts: {keys}"


def test_429_storm_is_waited_out(run):
    run.emu.faults.rate_limit_storm(6, route=CREATE_ROUTE[run.backend])
    result, out = run.apply()
    assert result.ok, out
    assert sum(1 for c in run.emu.request_log if c[2] == 429) == 6
    assert_once_each(run)
    assert run.converged()


def test_5xx_burst_on_creates_makes_no_duplicates(run):
    run.emu.faults.error_burst(3, route=CREATE_ROUTE[run.backend])
    result, out = run.apply()
    assert result.ok, out
    assert sum(1 for c in run.emu.request_log if c[2] >= 500) == 3
    assert_once_each(run)
    assert run.converged()


def test_5xx_burst_on_updates_loses_no_change(run):
    assert run.apply()[0].ok
    run.write(policy_text(critical="900ms"))
    run.emu.faults.error_burst(2, route=UPDATE_ROUTE[run.backend])
    result, out = run.apply()
    assert result.ok and result.count("updated") == 1, out
    assert_once_each(run)
    assert run.converged()


def test_answer_dropped_after_commit_is_found_not_duplicated(run):
    run.emu.faults.drop_after_commit(2, route=CREATE_ROUTE[run.backend])
    result, out = run.apply()
    assert result.ok and result.count("created") == 4, out
    assert_once_each(run)
    assert run.converged()


def test_dropped_update_answer_is_confirmed(run):
    assert run.apply()[0].ok
    run.write(policy_text(critical="900ms"))
    run.emu.faults.drop_after_commit(1, route=UPDATE_ROUTE[run.backend])
    result, out = run.apply()
    assert result.ok, out
    assert run.converged()


def test_persistent_create_failure_is_reported_and_the_next_run_converges(run):
    # Sentry answers every create with 503 (an outage): each alert is reported, none is
    # created twice by the retries.
    run.emu.faults.add("error", route=CREATE_ROUTE[run.backend], status=503, times=None)
    result, out = run.apply()
    assert not result.ok and len(result.failed) == 4, out
    assert all("503" in o.message for o in result.failed), out
    assert out.count("✗ create") == 4 and "Apply incomplete: 0 created" in out
    assert run.keys() == Counter()

    run.emu.faults.clear()
    result, out = run.apply()
    assert result.ok, out
    assert_once_each(run)
    assert run.converged()


def test_async_slack_lookup_by_name_succeeds_then_plan_is_clean(emulator_factory, tmp_path):
    r = Run(emulator_factory(profile="self-hosted-25"), "alert-rules", tmp_path / "p.yaml")
    r.write(policy_text(channel='"#ops-alerts"', count=2))
    result, out = r.apply()
    assert result.ok, out
    assert any("alert-rule-task" in c[1] for c in r.emu.request_log)  # the 202 path was used
    assert_once_each(r, 2)
    assert r.converged()


def test_failed_async_slack_lookup_is_a_partial_failure_and_next_run_converges(
        emulator_factory, tmp_path):
    emu = emulator_factory(profile="self-hosted-25")
    r = Run(emu, "alert-rules", tmp_path / "p.yaml")
    # One alert goes to a private channel the Slack bot was not invited to: Sentry's lookup
    # fails for it alone. The others name the channel by id and need no lookup.
    text = policy_text(count=3)
    text += """
  - transaction: GET /api/secret
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify: [{slack: "#leadership"}]
"""
    r.write(text)
    result = r.cli("apply", "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "Apply incomplete: 3 created" in result.output
    failed_line = next(line for line in result.output.splitlines() if line.startswith("✗"))
    assert "get-api-secret" in failed_line
    assert "does not exist or has not been granted access" in failed_line
    assert "Traceback" not in result.output

    # The owner invites the bot to the channel in Slack; the next run converges.
    with emu.lock:
        for channel in emu.state.org("acme").slack[0].channels:
            if channel.name == "leadership":
                channel.bot_invited = True
    again = r.cli("apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "Apply complete: 1 created" in again.output
    assert sorted(r.keys().values()) == [1, 1, 1, 1]
    assert r.cli("plan", "--detailed-exitcode").exit_code == 0


def test_monitors_partial_failure_exits_1_and_reports_each_alert(emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    r = Run(emu, "monitors", tmp_path / "p.yaml")
    text = policy_text(count=2) + """
  - transaction: GET /api/secret
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    notify: [{slack: "#no-such-channel"}]
"""
    r.write(text)
    result = r.cli("apply", "--auto-approve")
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln[:1] in ("✓", "✗")]
    assert len(lines) == 3
    assert sum(ln.startswith("✓") for ln in lines) == 2
    [bad] = [ln for ln in lines if ln.startswith("✗")]
    assert "get-api-secret" in bad and "no-such-channel" in bad

    r.write(policy_text(count=2) + """
  - transaction: GET /api/secret
    sla: {p95: 500ms}
    alert: {critical: 750ms}
""")
    again = r.cli("apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert sorted(r.keys().values()) == [1, 1, 1]
    assert r.cli("plan", "--detailed-exitcode").exit_code == 0
