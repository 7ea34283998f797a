"""Golden files for `plan --format markdown` and `plan --format json`, made through the real CLI
against the emulator: a policy is applied, then edited (a threshold and a runbook change, a new
alert whose transaction holds `|` and a backtick, a new alert whose name a hand-made alert
already has, two entries removed), and planned without and with `--prune`.

Run-dependent values (the emulator's port, timestamps, alert versions) are replaced by fixed
placeholders before comparing. After an intended change to the output, regenerate with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_render_markdown_golden.py

and review `git diff tests/golden/plan` before committing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import assert_golden
from policy_texts import policy_head
from test_render_markdown import html, tables
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.render.markdown import (
    CONFLICT_COLUMNS,
    CREATE_COLUMNS,
    DELETE_COLUMNS,
    KEPT_COLUMNS,
    UNCHANGED_COLUMNS,
    UPDATE_COLUMNS,
)

GOLDEN = Path(__file__).resolve().parent / "golden" / "plan"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

BEFORE = policy_head("storefront") + """\
  - transaction: GET /api/cart
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: POST /api/checkout
    sla: {p95: 800ms}
    alert: {critical: 1200ms, warning: 1000ms}
    runbook: https://wiki.example.com/runbooks/checkout
  - transaction: GET /api/products
    alert: {critical: 400ms, metric: p75}
  - transaction: GET /api/search
    alert: {critical: 600ms, metric: p95}
  - transaction: GET /api/legacy
    alert: {critical: 900ms, metric: p95}
"""

AFTER = policy_head("storefront") + """\
  - transaction: GET /api/cart
    sla: {p95: 500ms}
    alert: {critical: 900ms}
  - transaction: POST /api/checkout
    sla: {p95: 800ms}
    alert: {critical: 1200ms, warning: 1000ms}
    runbook: https://wiki.example.com/runbooks/checkout-v2
  - transaction: GET /api/products
    alert: {critical: 400ms, metric: p75}
  - transaction: "GET /api/a|b`c`"
    alert: {critical: 300ms, metric: p95}
  - transaction: GET /api/hand
    alert: {critical: 500ms, metric: p95}
"""

HAND = """\
version: 1
name: hand
organization: acme
defaults:
  project: backend
  name: "{transaction} latency"
transactions:
  - transaction: GET /api/hand
    alert: {critical: 500ms, metric: p95}
"""


def check_golden(name: str, actual: str) -> None:
    assert_golden(GOLDEN / name, name, actual, update=UPDATE,
                  regenerate="regenerate with UPDATE_GOLDEN=1 (see this module's docstring) and "
                  "review `git diff tests/golden/plan`")


def normalise(text: str, url: str) -> str:
    text = text.replace(url, "http://127.0.0.1:PORT")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "2026-01-01T00:00:00Z", text)
    return text


def normalise_json(text: str, url: str) -> str:
    def walk(value):
        if isinstance(value, dict):
            return {k: ("<version>" if k == "version" and v is not None else walk(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    data = walk(json.loads(normalise(text, url)))
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, str]:
    """The four outputs, made once: {markdown, markdown-prune, json, json-prune}."""
    from sentry_alerts.emulator import run_emulator

    tmp = tmp_path_factory.mktemp("golden")
    cwd = Path.cwd()
    os.chdir(tmp)  # the policy path in the plan is relative, as in CI
    try:
        with run_emulator(slack_task_delay=0.05) as emu:
            env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1",
                   "SENTRY_ORG": None}

            def run(*args: str):
                result = CliRunner().invoke(app, list(args), env=env)
                assert result.exit_code in (0, 2), result.output
                return result.stdout

            Path("hand.yaml").write_text(HAND)
            run("apply", "hand.yaml", "--auto-approve", "--parallelism", "1")
            for kind, obj_id, _ in managed_objects(emu, "acme", "hand"):
                emu.edit(kind, obj_id, {"description": "made by hand"}, org="acme")
            Path("storefront.yaml").write_text(BEFORE)
            run("apply", "storefront.yaml", "--auto-approve", "--parallelism", "1")
            Path("storefront.yaml").write_text(AFTER)
            out = {}
            for fmt in ("markdown", "json"):
                for suffix, extra in (("", ()), ("-prune", ("--prune",))):
                    text = run("plan", "storefront.yaml", "--format", fmt, *extra)
                    out[fmt + suffix] = (normalise(text, emu.url) if fmt == "markdown"
                                         else normalise_json(text, emu.url))
            return out
    finally:
        os.chdir(cwd)


def test_markdown_golden_without_prune_lists_orphans(plans):
    text = plans["markdown"]
    check_golden("storefront.md", text)
    assert "2 orphans kept" in text.splitlines()[3]
    headers = [t["header"] for t in tables(text)]
    assert headers == [CREATE_COLUMNS, UPDATE_COLUMNS, CONFLICT_COLUMNS, KEPT_COLUMNS,
                       UNCHANGED_COLUMNS]


def test_markdown_golden_with_prune_warns_about_deletions(plans):
    text = plans["markdown-prune"]
    check_golden("storefront-prune.md", text)
    found = tables(text)
    assert [t["header"] for t in found] == [DELETE_COLUMNS, CREATE_COLUMNS, UPDATE_COLUMNS,
                                            CONFLICT_COLUMNS, UNCHANGED_COLUMNS]
    delete, create, update, conflict, _ = found
    assert delete["in_quote"]  # inside the warning block
    assert sorted(row[0] for row in delete["rows"]) == ["GET /api/legacy latency",
                                                        "GET /api/search latency"]
    assert [row[0] for row in create["rows"]] == ["GET /api/a|b`c` latency"]
    assert ["", "", "critical", "750 ms", "900 ms"] in [["", "", *r[2:]] for r in update["rows"]]
    assert conflict["rows"][0][0] == "GET /api/hand latency"
    for table in found:
        assert all(len(row) == len(table["header"]) for row in table["rows"])
    rendered = html(text)
    # In the table the name is text: the pipe did not split the cell, the backticks made no code.
    assert "<td>GET /api/a|b`c` latency</td>" in rendered
    assert "GET /api/a|b<code>c</code>" not in rendered


def test_json_goldens(plans):
    check_golden("storefront.json", plans["json"])
    check_golden("storefront-prune.json", plans["json-prune"])
    plain, pruned = json.loads(plans["json"]), json.loads(plans["json-prune"])
    assert plain["summary"] == {"create": 1, "update": 2, "delete": 0, "unchanged": 1,
                                "conflict": 1, "orphan": 2, "duplicate": 0}
    assert pruned["summary"] == {**plain["summary"], "delete": 2, "orphan": 0}
    assert plain["policy"]["path"] == "storefront.yaml"
    assert plain["target"] == {"org": "acme", "url": "http://127.0.0.1:PORT"}
