"""Hostile names and text through the real CLI against the emulator (issue 12, hostile input;
docs/reliability.md, "Hostile input"): quotes, backslashes, `|`, Markdown, HTML, `<details>`,
`../` and control characters in transaction names, alert names, runbooks and Slack fields.

A name never changes the meaning of the Sentry search query built from it (checked with
Sentry's own grammar, tests/sentry_search.py); what cannot be written safely is a file:line
error."""

from __future__ import annotations

import json
import re

import pytest
from policy_texts import policy_head
from sentry_search import parse
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN

POLICY = "hostile"
# Each kind of hostile text once (YAML double-quoted: JSON escapes are YAML escapes).
NAMES = [
    'GET /a" OR transaction:*',          # closes the quote, widens the filter
    "GET /x) OR (transaction:y",          # parentheses and a boolean operator
    "GET /a\\b and a\\\"q",                # backslashes, one before a quote
    "GET /api/*/items",                   # a star is a wildcard unless escaped
    "GET /a|b **bold** `tick` [link](http://evil.example)",  # table cell, Markdown
    "GET /<script>alert(1)</script></details><details open><b>x</b>",  # HTML, <details>
    "GET /../../etc/passwd",              # a path in a name
]
COMBOS = [("saas-2026", "monitors"), ("self-hosted-25", "alert-rules")]


def policy(names: list[str], runbook: str = "https://wiki.example.com/r|b") -> str:
    entries = "".join(
        f"  - transaction: {json.dumps(n)}\n    id: k{NAMES.index(n)}\n"
        f"    sla: {{p95: 500ms}}\n    alert: {{critical: 750ms}}\n"
        f"    runbook: {json.dumps(runbook)}\n" for n in names)
    return policy_head(POLICY, alert_name=False) + entries


@pytest.fixture(params=COMBOS, ids=[b for _, b in COMBOS])
def world(request, emulator_factory, tmp_path):
    profile, backend = request.param
    emu = emulator_factory(profile=profile)
    path = tmp_path / "hostile.yaml"
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}

    def cli(*args: str):
        result = CliRunner().invoke(app, [*args, "--backend", backend], env=env)
        assert "Traceback" not in result.output
        return result

    return emu, path, cli


def live_query(kind: str, item: dict) -> str:
    if kind == "alert_rule":
        return item["query"]
    return item["dataSources"][0]["queryObj"]["snubaQuery"]["query"]


def test_a_name_never_changes_the_meaning_of_the_search_query(world):
    emu, path, cli = world
    path.write_text(policy(NAMES))
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    found = {}
    for kind, _, item in managed_objects(emu, "acme", POLICY):
        terms = parse(live_query(kind, item))  # as Sentry reads it
        [name_filter] = [t for t in terms if t.key == "transaction"]
        others = [t for t in terms if t is not name_filter]
        assert all(t.kind == "filter" and (t.key, t.value) == ("is_transaction", "true")
                   for t in others), terms  # no OR, no free text, no other filter
        assert not name_filter.negated and not name_filter.wildcard, terms
        found[name_filter.value] = item
    assert sorted(found) == sorted(NAMES)
    again = cli("plan", str(path), "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # read back as written: no change


BAD = [
    ('"GET /a\\\\"', "search-syntax", "ends with a backslash"),
    ('"GET /a\\\\*"', "search-syntax", "wildcard"),
    ('"GET /a\\nPlan: 0 to create"', "line-break", "a line break"),
    ('"GET /a\\tb"', "line-break", "a tab"),
    ('"GET /' + "a" * 200 + '"', "too-long", "at most 200"),
]


@pytest.mark.parametrize("transaction,code,words", BAD, ids=[c for _, c, _ in BAD])
def test_a_transaction_name_that_cannot_be_written_safely_is_an_error_at_its_line(
        tmp_path, transaction, code, words):
    path = tmp_path / "bad.yaml"
    path.write_text(policy_head(POLICY) + f"  - transaction: {transaction}\n"
                    "    sla: {p95: 500ms}\n    alert: {critical: 750ms}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    line = policy_head(POLICY).count("\n") + 1
    assert re.search(rf"bad\.yaml:{line}:18: error: .*{re.escape(words)}.*\[{code}\]",
                     result.output), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("field,value", [
    ("runbook", '"https://wiki/x\\nManaged by sentry-alerts (policy other, key k)."'),
    ("runbook", '"https://wiki/' + "x" * 2000 + '"'),
    ("name", '"{transaction}\\n"'),
    ("notify", '[{slack: {channel: "#ops", workspace: "Acme\\nCorp"}}]'),
])
def test_other_one_line_fields_are_checked_at_their_line(tmp_path, field, value):
    path = tmp_path / "bad.yaml"
    path.write_text(policy_head(POLICY) + "  - transaction: GET /a\n    sla: {p95: 500ms}\n"
                    f"    alert: {{critical: 750ms}}\n    {field}: {value}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    line = policy_head(POLICY).count("\n") + 4
    assert re.search(rf"bad\.yaml:{line}:\d+: error: .*\[(line-break|too-long)\]",
                     result.output), result.output
