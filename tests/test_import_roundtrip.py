"""`sentry-alerts import` round trips on the emulator: alerts made the way Sentry's UI makes them
→ import → validate --strict → plan --adopt shows only adoption → apply --adopt → plan shows
nothing, and every alert kept its id. What the policy cannot express is listed as comments with
the reason and the alert's URL; a legacy rule Sentry migrated to a monitor is one alert.
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import POLICIES
from import_support import SLACK_ID, TEAM_SRE, UI, USER_BOB, adopt_round_trip, cli

from sentry_alerts.emulator.seed import load_seed
from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.importer.read import _require_complete
from sentry_alerts.model import Marker
from sentry_alerts.policy import load_policy
from sentry_alerts.sentry.backend import LiveListing

# A legacy rule made in the old UI (no marker), then migrated by Sentry to a monitor with a
# workflow of its own: Slack and an email to a team, a warning, another owner.
UI_RULE_MIGRATED = {
    "name": "Proposal is slow", "description": "", "dataset": "events_analytics_platform",
    "eventTypes": ["trace_item_span"], "aggregate": "p90(span.duration)",
    "query": 'is_transaction:true transaction:"GET /api/propostas/{id}"', "timeWindow": 10,
    "environment": "production", "projects": ["backend"], "owner": "team:12",
    "thresholdType": 0, "resolveThreshold": None,
    "triggers": [{"label": label, "alertThreshold": value, "actions": [
        {"type": "slack", "targetType": "specific", "targetIdentifier": "#ops-alerts",
         "inputChannelId": SLACK_ID, "integrationId": 31},
        {"type": "email", "targetType": "team", "targetIdentifier": TEAM_SRE}]}
        for label, value in (("critical", 900), ("warning", 700))],
}


def entries(text: str) -> dict[str, dict]:
    return {t.get("name", t["transaction"]): t for t in yaml.safe_load(text)["transactions"]}


def slack_deliveries(emu, monitor_id: str) -> int:
    """How many alerts (workflows) linked to this monitor post to #ops-alerts."""
    with emu.lock:
        return sum(1 for w in emu.state.org("acme").workflows.values()
                   if monitor_id in [str(d) for d in w.get("detectorIds") or []]
                   and any(a.get("type") == "slack" for f in w.get("actionFilters") or []
                           for a in f.get("actions") or []))


def test_monitors_made_in_the_ui_are_imported_and_adopted_in_place(emulator_factory, tmp_path):
    seed = load_seed("migrated-from-legacy")  # also: critical-endpoints' alerts, migrated
    seed["organizations"][0]["migrated_alert_rules"].append(UI_RULE_MIGRATED)
    emu = emulator_factory(profile="saas-2026", seed=seed)
    ui = UI(emu)
    checkout = ui.monitor("Checkout is slow", "POST /api/checkout", critical=1200, warning=1000)
    ui.workflow("Ops on call", [checkout], [ui.slack(), ui.email("team", TEAM_SRE)])
    products = ui.monitor("Products p75", "/api/products", statistic="p75", critical=400,
                          resolve=300, window_s=900, owner="user:101",
                          query="transaction:/api/products is_transaction:true",
                          description="https://wiki.example.com/runbooks/products")
    ui.workflow("Bob", [products], [ui.email("user", USER_BOB)])
    errors = ui.monitor("Checkout errors", "POST /api/checkout", critical=50,
                        aggregate="count()")
    ui.workflow("Errors", [errors], [ui.slack()])
    ui.monitor("Cart is getting slower", "GET /api/cart", critical=50,
               config={"detectionType": "percent", "comparisonDelta": 3600})
    search = ui.monitor("Search is slow", "GET /api/search", critical=800)
    ui.workflow("Shared with errors", [search, errors], [ui.slack()])

    out = tmp_path / "ui-alerts.yaml"
    imported = cli(emu, "import", "--out", out)
    assert imported.exit_code == 0, imported.output
    assert "Imported 3 alerts" in imported.stderr and "5 alerts it cannot express" in \
        imported.stderr
    # Looking for legacy rules a monitor stands for is on purpose: no deprecation warning.
    assert "deprecated" not in imported.stderr
    text = out.read_text()
    found = entries(text)
    assert sorted(found) == ["Checkout is slow", "Products p75", "Proposal is slow"]
    # In the policy's terms: thresholds in ms, windows as 5m, Slack by name with its id, owners
    # by slug or email; values most alerts share are lifted into defaults.
    assert found["Checkout is slow"] == {"transaction": "POST /api/checkout",
                                         "alert": {"critical": "1200ms", "warning": "1000ms",
                                                   "metric": "p95"},
                                         "name": "Checkout is slow", "window": "5m",
                                         "owner": "team:backend"}
    assert yaml.safe_load(text)["defaults"] == {
        "project": "backend", "environment": "production",
        "notify": [{"email": "team:sre"}, {"slack": {"channel": "#ops-alerts",
                                                     "channel_id": SLACK_ID}}]}
    assert found["Products p75"]["owner"] == "user:alice@acme.example"
    assert found["Products p75"]["notify"] == [{"email": "user:bob@acme.example"}]
    assert found["Products p75"]["runbook"] == "https://wiki.example.com/runbooks/products"
    assert found["Proposal is slow"]["owner"] == "team:sre"
    assert found["Proposal is slow"]["alert"] == {"critical": "900ms", "warning": "700ms",
                                                  "metric": "p90"}
    # The migrated rule is ONE entry (the monitor), not a second one for its workflow.
    assert text.count("Proposal is slow") == 2  # its comment line and its name
    for skipped, reason in (("Checkout errors", "the aggregate count()"),
                            ("Cart is getting slower", "percent-change detection"),
                            ("Search is slow", "which also serves monitors this file does not"),
                            ("GET /api/propostas: p95 latency",
                             "managed by policy critical-endpoints")):
        section = text[text.index(f'"{skipped}"'):].split('\n# "')[0]
        assert reason in " ".join(line.lstrip("# -") for line in section.splitlines()), skipped
    assert f"{emu.url}/organizations/acme/monitors/{errors}/" in text
    policy = load_policy(out)
    assert policy.name == "ui-alerts" and len(policy.specs) == 3

    plan = adopt_round_trip(emu, out)
    notes = " ".join(c["note"] for c in plan["changes"])
    assert "in place of 'Ops on call'" in notes and "Sentry migrated this alert" in notes
    for change in plan["changes"]:  # nobody hears an adopted alert twice
        assert slack_deliveries(emu, change["live"]["remote_id"]) <= 1

    # Managed now: importing again writes the same policy (the keys come from the markers).
    again = cli(emu, "import", "--out", out, "--force")
    assert again.exit_code == 0, again.output
    assert load_policy(out).specs == policy.specs


def test_legacy_alert_rules_made_in_the_ui_are_imported_and_adopted(emulator_factory,
                                                                     tmp_path):
    emu = emulator_factory(profile="self-hosted-25")
    ui = UI(emu)
    both = [ui.rule_slack(), ui.rule_email("team", TEAM_SRE)]
    ui.rule("Checkout is slow", "POST /api/checkout",
            [("critical", 1200, both), ("warning", 1000, both)], resolveThreshold=800)
    ui.rule("Products p75", "GET /api/products",
            [("critical", 400, [ui.rule_email("user", USER_BOB)])], statistic="p75", window=15,
            owner="user:101")
    ui.rule("Too fast", "GET /api/fast", [("critical", 10, [ui.rule_slack()])],
            thresholdType=1)
    ui.rule("Split", "GET /api/split", [("critical", 900, [ui.rule_slack()]),
                                        ("warning", 700, [ui.rule_email("team", TEAM_SRE)])])

    imported = cli(emu, "import")  # printed: a pipeline can redirect it
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "legacy.yaml"
    out.write_text(imported.stdout)
    found = entries(imported.stdout)
    assert sorted(found) == ["Checkout is slow", "Products p75"]
    assert found["Checkout is slow"]["alert"] == {"critical": "1200ms", "warning": "1000ms",
                                                  "resolve": "800ms", "metric": "p95"}
    assert "it fires when the value is below its thresholds" in imported.stdout
    assert "its warning notifies other targets than its critical" in imported.stdout
    assert "/organizations/acme/alerts/rules/details/" in imported.stdout
    adopt_round_trip(emu, out)


def test_a_migrated_legacy_rule_is_imported_once_where_both_apis_are_served(emulator_factory,
                                                                             tmp_path):
    """self-hosted 26.7 serves both APIs; Sentry's migration keeps each rule next to its new
    monitor. The import reads monitors (as plan will) and the rule is the same alert."""
    emu = emulator_factory(profile="self-hosted-26.7")
    ui = UI(emu)
    migrated = ui.rule("Checkout is slow", "POST /api/checkout",
                       [("critical", 1200, [ui.rule_slack()])])
    ui.rule("Not yet migrated", "GET /api/cart", [("critical", 700, [ui.rule_slack()])])
    emu.migrate_legacy_rules(ids=[int(migrated)])
    out = tmp_path / "sh.yaml"
    imported = cli(emu, "import", "--out", out)
    assert imported.exit_code == 0, imported.output
    text = out.read_text()
    assert list(entries(text)) == ["Checkout is slow"]
    assert "1 legacy alert rule Sentry migrated to monitors are the same alerts" in \
        " ".join(text.split())
    assert "a legacy alert rule Sentry has not migrated to a monitor yet" in text
    adopt_round_trip(emu, out)


def test_the_migrated_seed_imports_back_as_its_policy(emulator_factory, tmp_path):
    """Alerts sentry-alerts made through the legacy API, then migrated by Sentry: importing
    with the policy's name writes that policy again (keys, SLAs, runbook), and plan shows
    only the replacement of Sentry's migrated workflows."""
    emu = emulator_factory(profile="saas-2026", seed="migrated-from-legacy")
    out = tmp_path / "critical-endpoints.yaml"
    imported = cli(emu, "import", "--out", out)  # the name comes from the file
    assert imported.exit_code == 0, imported.output
    def essentials(policy):
        return [(s.key, s.name, s.transaction, s.statistic, s.sla_ms, s.critical_ms,
                 s.warning_ms, s.resolve_ms, s.window_minutes, s.environment, s.runbook,
                 s.owner, [t.channel for t in s.targets]) for s in policy.specs]

    assert essentials(load_policy(out)) == essentials(load_policy(POLICIES /
                                                                  "critical-endpoints.yaml"))
    planned = cli(emu, "plan", out, "--detailed-exitcode", "--format", "json")
    assert planned.exit_code == 2, planned.output
    changes = json.loads(planned.stdout)["changes"]
    assert [(c["action"], c["fields"]) for c in changes] == [("update", []), ("update", [])]
    assert all("Sentry migrated this alert" in c["note"] for c in changes)


@pytest.mark.parametrize("args,expected", [
    (["--backend", "legacy"], "unknown --backend 'legacy'"),
    (["--name", "no spaces please"], "--name 'no spaces please' cannot be a policy name"),
    (["--project", "nope"], "--project 'nope': no such project in organization acme"),
    (["--org", "nope"], "organization 'nope'"),
])
def test_bad_input_is_one_paragraph_and_exit_1(emulator, args, expected):
    result = cli(emulator, "import", *args)
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert result.output.count("error:") == 1


def test_no_token_no_org_and_an_existing_file(emulator, tmp_path):
    result = cli(emulator, "import", token="")
    assert result.exit_code == 1 and "no Sentry token" in result.output
    result = cli(emulator, "import", env={"SENTRY_ORG": ""})
    assert result.exit_code == 1 and "pass --org SLUG or set SENTRY_ORG" in result.output
    out = tmp_path / "there.yaml"
    out.write_text("mine\n")
    refused = cli(emulator, "import", "--out", out)
    assert refused.exit_code == 1 and "--force" in refused.output
    assert out.read_text() == "mine\n"  # never overwritten without --force


def test_nothing_importable_writes_nothing_and_says_why(emulator, tmp_path):
    UI(emulator).monitor("Errors", "GET /x", critical=5, aggregate="count()")
    out = tmp_path / "none.yaml"
    result = cli(emulator, "import", "--out", out)
    assert result.exit_code == 1 and not out.exists()
    assert "'Errors' (monitor 1): the aggregate count()" in " ".join(result.output.split())


def test_an_incomplete_listing_imports_nothing():
    """A page that failed after the client's retries: a policy from part of the alerts would
    miss some, so nothing is written (the first page's failure is the client's error)."""
    with pytest.raises(SentryAlertsError, match="incomplete .*page 2 failed.* Run import again"):
        _require_complete(LiveListing([], complete=False, problems=["page 2 failed"]))


def test_an_entry_validate_strict_would_refuse_moves_to_the_comments(emulator, tmp_path):
    """The written file is checked as `validate --strict` checks it before it is written: an
    entry with a finding (here a runbook that is not a link, in an alert this policy made) is
    listed as a comment with the finding, and the rest is imported."""
    ui = UI(emulator)
    # The alerts and the alert (workflow) sentry-alerts made for them, as the API holds them.
    ui.workflow("Notify Slack #ops-alerts (sentry-alerts policy shop, targets 0123abcd)", [
        ui.monitor("Cart", "GET /api/cart", critical=700,
                   description="Runbook: ask Bob\n" + Marker("shop", "cart").text()),
        ui.monitor("Pay", "POST /api/pay", critical=900,
                   description=Marker("shop", "pay").text())],
        [ui.slack()])
    out = tmp_path / "shop.yaml"
    result = cli(emulator, "import", "--out", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert [t["id"] for t in yaml.safe_load(text)["transactions"]] == ["pay"]
    assert "validate --strict: runbook 'ask Bob' is not an http(s) URL" in \
        " ".join(line.lstrip("# ") for line in text.splitlines())
    assert cli(emulator, "validate", "--strict", out).exit_code == 0


def test_an_out_file_that_cannot_be_written_is_one_sentence(emulator, tmp_path):
    ui = UI(emulator)
    search = ui.monitor("Search is slow", "GET /api/search", critical=800)
    ui.workflow("Ops", [search], [ui.slack()])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "policies" / "alerts.yaml"
    imported = cli(emulator, "import", "--out", out)
    assert imported.exit_code == 1, imported.output
    assert f"error: cannot write {out}: Not a directory." in imported.stderr
    assert "Traceback" not in imported.output
