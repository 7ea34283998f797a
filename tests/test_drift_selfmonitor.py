"""The drift job reports on itself with sentry-sdk, only when given a DSN, to a stand-in for
Sentry's ingest on 127.0.0.1 (ingest_support.py): Crons check-ins in order with the right status
and the monitor upserted, drift reported as one event grouped by policy, a crash captured with
the command's context, a canary token absent from everything sent (argv, breadcrumbs and
exception messages included), and, without a DSN, no traffic at all and sentry_sdk never even
imported.

The runs are real processes: the token is on the real command line (sys.argv, which sentry-sdk
attaches to events), as a scheduled job would pass it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import POLICIES, ROOT
from import_support import cli
from ingest_support import Ingest

from sentry_alerts.demo import edit_threshold_in_ui
from sentry_alerts.emulator.seed import load_seed

POLICY = str(POLICIES / "critical-endpoints.yaml")
# A token in Sentry's old format (64 hex characters, no sntryu_ prefix): only scrubbing by
# value can catch it.
CANARY = "c0ffee15" * 8

# Runs the CLI as `sentry-alerts ARGS` would, then says whether sentry_sdk was ever imported.
# CRASH=1 makes the HTTP library fail (a bug's stand-in: nothing of sentry-alerts is replaced)
# after logging a warning that holds the token (a breadcrumb).
RUNNER = textwrap.dedent("""
    import json, logging, os, sys
    if os.environ.get("CRASH"):
        import requests
        canary = os.environ["CANARY"]
        real = requests.Session.request
        def request(self, method, url, *args, **kwargs):
            if "/workflows/" in url:  # the listing, after the connection is made
                logging.getLogger("pool").warning("pool broke while sending with %s", canary)
                raise RuntimeError("connection pool broke while holding " + canary)
            return real(self, method, url, *args, **kwargs)
        requests.Session.request = request
    from sentry_alerts.cli import main
    sys.argv = ["sentry-alerts", *json.loads(os.environ["ARGS"])]
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    print("SDK imported: %s" % ("sentry_sdk" in sys.modules), file=sys.stderr)
    sys.exit(code)
""")


@pytest.fixture
def world(emulator_factory):
    seed = load_seed(None)
    seed["tokens"].append({"name": "canary", "token": CANARY, "user_id": 101, "scopes": [
        "org:read", "project:read", "team:read", "member:read", "alerts:read", "alerts:write"]})
    emu = emulator_factory(profile="saas-2026", seed=seed)
    assert cli(emu, "apply", POLICY, "--auto-approve").exit_code == 0
    with Ingest() as ingest:
        yield emu, ingest


def drift(emu, *args: str, crash: bool = False, **env: str) -> subprocess.CompletedProcess:
    import json

    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SENTRY_", "CRASH"))}
    environment.update({"SENTRY_URL": emu.url, "SENTRY_ORG": "acme", "NO_COLOR": "1",
                        "CANARY": CANARY, "ARGS": json.dumps(["drift", POLICY, "--token", CANARY,
                                                              *args]), **env})
    if crash:
        environment["CRASH"] = "1"
    return subprocess.run([sys.executable, "-c", RUNNER], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def check_ins(ingest) -> list[tuple[str, str]]:
    return [(c["status"], c["check_in_id"]) for c in ingest.items("check_in")]


def test_without_a_dsn_nothing_is_sent_and_the_sdk_is_never_loaded(world):
    emu, ingest = world
    # SENTRY_DSN is the user's application's: drift must not report there.
    run = drift(emu, SENTRY_DSN=ingest.dsn)
    assert run.returncode == 0, run.stderr
    assert "SDK imported: False" in run.stderr
    assert ingest.requests == 0


def test_a_clean_run_checks_in_and_upserts_the_cron_monitor(world):
    emu, ingest = world
    run = drift(emu, "--monitor-schedule", "*/30 * * * *", SENTRY_ALERTS_DSN=ingest.dsn)
    assert run.returncode == 0, run.stderr
    [(first, first_id), (last, last_id)] = check_ins(ingest)
    assert (first, last) == ("in_progress", "ok") and first_id == last_id
    for check_in in ingest.items("check_in"):
        assert check_in["monitor_slug"] == "sentry-alerts-drift-critical-endpoints"
        assert check_in["monitor_config"]["schedule"] == {"type": "crontab",
                                                          "value": "*/30 * * * *"}
        assert check_in["monitor_config"]["checkin_margin"] == 10
    assert ingest.items("event") == []  # no drift, no crash: nothing else
    assert ingest.items("check_in")[1]["duration"] > 0


def test_drift_is_one_event_grouped_by_policy_and_the_run_is_ok(world):
    emu, ingest = world
    edit_threshold_in_ui(emu, "acme", "critical-endpoints", 1000, key="get-api-propostas")
    run = drift(emu, "--monitor-dsn", ingest.dsn, "--monitor-slug", "nightly-drift",
                "--monitor-schedule", "1d")
    assert run.returncode == 2, run.stderr
    assert "critical: 1000 ms → 750 ms" in run.stdout
    assert [s for s, _ in check_ins(ingest)] == ["in_progress", "ok"]  # the check ran
    assert {c["monitor_slug"] for c in ingest.items("check_in")} == {"nightly-drift"}
    assert ingest.items("check_in")[0]["monitor_config"]["schedule"] == {
        "type": "interval", "value": 1, "unit": "day"}
    [event] = ingest.items("event")  # one per run; every run's has the same fingerprint, so
    # Sentry groups them into one issue per policy
    assert event["fingerprint"] == ["sentry-alerts-drift", "acme", "critical-endpoints"]
    assert event["level"] == "warning" and event["tags"]["policy"] == "critical-endpoints"
    [change] = event["contexts"]["drift"]["changes"]
    assert (change["action"], change["key"], change["fields"]) == (
        "update", "get-api-propostas", ["critical: 1000 ms → 750 ms"])
    assert "[Filtered]" in event["extra"]["sys.argv"]  # argv is sent, the token is not
    assert CANARY.encode() not in ingest.raw()


def test_a_crash_is_captured_with_context_and_the_run_is_an_error(world):
    emu, ingest = world
    run = drift(emu, "--monitor-dsn", ingest.dsn, crash=True)
    assert run.returncode == 1, run.stderr
    assert "This is a bug in sentry-alerts" in run.stderr and "Traceback" not in run.stderr
    [paragraph] = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert CANARY not in paragraph  # the CLI's own paragraph is scrubbed as well
    assert [s for s, _ in check_ins(ingest)] == ["in_progress", "error"]
    [event] = ingest.items("event")
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert "connection pool broke while holding [Filtered]" in exception["value"]
    assert event["contexts"]["command"]["command"] == "drift"
    assert event["contexts"]["command"]["policy_file"] == POLICY
    crumbs = [b.get("message") for b in event["breadcrumbs"]["values"]]
    assert "pool broke while sending with [Filtered]" in crumbs
    for frame in exception["stacktrace"]["frames"]:
        assert "vars" not in frame  # local variables (the token among them) never leave
    assert CANARY.encode() not in ingest.raw()


def test_a_run_that_cannot_reach_sentry_checks_in_as_an_error(world):
    emu, ingest = world
    run = drift(emu, "--monitor-dsn", ingest.dsn, "--org", "nope")
    assert run.returncode == 1, run.stderr
    assert [s for s, _ in check_ins(ingest)] == ["in_progress", "error"]
    assert ingest.items("event") == []  # a refused request is not a crash
