"""`sentry-alerts drift POLICY`: plan --detailed-exitcode for schedules, through the real CLI
against the emulator: 0 when Sentry matches, 2 with the diff when it drifted, 1 on errors, and
never a manual guide (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import POLICIES
from import_support import cli

from sentry_alerts.demo import edit_threshold_in_ui
from sentry_alerts.emulator import ALERTS_TOKEN

POLICY = POLICIES / "critical-endpoints.yaml"


@pytest.fixture
def applied(emulator_factory):
    emu = emulator_factory(profile="saas-2026")
    result = cli(emu, "apply", POLICY, "--auto-approve")
    assert result.exit_code == 0, result.output
    return emu


def test_exit_0_when_sentry_matches(applied):
    result = cli(applied, "drift", POLICY)
    assert result.exit_code == 0, result.output
    assert "No changes: the live alerts match the policy." in result.stdout


def test_exit_2_with_the_diff_when_someone_edited_an_alert(applied):
    edit_threshold_in_ui(applied, "acme", "critical-endpoints", 1000)
    result = cli(applied, "drift", POLICY)
    assert result.exit_code == 2, result.output
    assert "critical: 1000 ms → 750 ms" in result.stdout
    assert "drift: 1 alert of policy critical-endpoints differs from Sentry (exit 2)" in \
        result.stderr
    as_json = cli(applied, "drift", POLICY, "--format", "json")
    assert as_json.exit_code == 2
    [change] = [c for c in json.loads(as_json.stdout)["changes"] if c["action"] == "update"]
    assert change["fields"] == [{"field": "critical_ms", "old": "1000 ms", "new": "750 ms"}]
    as_markdown = cli(applied, "drift", POLICY, "--format", "markdown")
    assert as_markdown.exit_code == 2
    assert as_markdown.stdout.startswith("<!-- sentry-alerts-plan: critical-endpoints acme -->")
    # A deleted alert is drift too: it would be created again.
    with applied.lock:
        first = min(applied.state.org("acme").detectors)
    applied.delete("detector", first)
    assert cli(applied, "drift", POLICY).exit_code == 2


@pytest.mark.parametrize("token,expected", [
    ("", "no Sentry token"),
    ("sntryu_not_a_real_token_0000000000000", "Sentry answered 401"),
])
def test_no_access_is_an_error_never_a_guide(emulator, tmp_path, monkeypatch, token, expected):
    monkeypatch.chdir(tmp_path)
    result = cli(emulator, "drift", POLICY, token=token)
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert not (tmp_path / "sentry-alerts-guide").exists()
    assert token not in result.output or not token


@pytest.mark.parametrize("args,expected", [
    (["--format", "yaml"], "unknown --format 'yaml'"),
    (["--backend", "legacy"], "unknown --backend 'legacy'"),
    (["--monitor-dsn", "http://k@127.0.0.1:9/1", "--monitor-schedule", "often"],
     "--monitor-schedule 'often' is neither a crontab line"),
    (["--monitor-dsn", "not a dsn"], "--monitor-dsn is not a Sentry DSN"),
    (["--org", "nope"], "organization 'nope'"),
])
def test_bad_input_is_one_paragraph_and_exit_1(emulator, args, expected):
    result = cli(emulator, "drift", POLICY, *args)
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert result.output.count("error:") == 1


def test_a_broken_policy_is_an_error(emulator, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: broken\ntransactions:\n  - alert: {critical: 1}\n")
    result = cli(emulator, "drift", broken)
    assert result.exit_code == 1 and "policy" in result.output and ALERTS_TOKEN not in \
        result.output


def test_a_saved_plan_is_not_a_policy(applied, tmp_path):
    saved = tmp_path / "plan.json"
    assert cli(applied, "plan", POLICY, "--out", saved).exit_code == 0
    result = cli(applied, "drift", saved)
    assert result.exit_code == 1 and "saved plan, not a policy file" in result.output
    assert Path(saved).exists()


def test_secrets_are_removed_by_value_wherever_they_are():
    from sentry_alerts.drift.scrub import FILTERED, Scrubber, secrets_from

    legacy = "ab12" * 16  # an old-style token: no prefix to recognise it by
    argv = ["sentry-alerts", "drift", "p.yaml", f"--token={legacy}", "--token", "short"]
    scrub = Scrubber(secrets_from(argv, None, "from-the-environment-0001"))
    event = {"extra": {"sys.argv": argv}, "message": f"failed with {legacy}",
             "breadcrumbs": {"values": [{"message": "Authorization: Bearer abc.def",
                                         "data": {"from-the-environment-0001": 1}}]},
             "tags": {"t": "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_abc and sntryu_0123456789"},
             "level": "error", "count": 3}
    cleaned = scrub(event)
    text = repr(cleaned)
    for secret in (legacy, "from-the-environment-0001", "abc.def", "sntrys_", "sntryu_"):
        assert secret not in text, secret
    assert cleaned["extra"]["sys.argv"][3] == f"--token={FILTERED}"
    assert cleaned["extra"]["sys.argv"][5] == "short"  # too short to be a token: kept
    assert cleaned["level"] == "error" and cleaned["count"] == 3


@pytest.mark.parametrize("text,schedule", [
    ("*/30 * * * *", {"type": "crontab", "value": "*/30 * * * *"}),
    ("0  9 * * MON-FRI", {"type": "crontab", "value": "0 9 * * MON-FRI"}),
    ("30m", {"type": "interval", "value": 30, "unit": "minute"}),
    ("2 hours", {"type": "interval", "value": 2, "unit": "hour"}),
    ("1d", {"type": "interval", "value": 1, "unit": "day"}),
])
def test_the_monitor_schedule_is_a_crontab_line_or_an_interval(text, schedule):
    from sentry_alerts.drift.selfmonitor import parse_schedule

    assert parse_schedule(text) == schedule
