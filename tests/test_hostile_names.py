"""Hostile names and text through the real CLI against the emulator (issue 12, hostile input;
docs/reliability.md, "Hostile input"): quotes, backslashes, `|`, Markdown, HTML, `<details>`,
`../` and control characters in transaction names, alert names, runbooks and Slack fields.

A name never changes the meaning of the Sentry search query built from it (checked with
Sentry's own grammar, tests/sentry_search.py); the PR comment and the guides cannot be broken
out of; file names stay inside the guide folder and never collide; text from Sentry shows its
control characters as escapes; what cannot be written safely is a file:line error."""

from __future__ import annotations

import json
import re

import pytest
from markdown_it import MarkdownIt
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


def tokens(markdown: str):
    flat = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def table_rows(markdown: str) -> list[list[str]]:
    """Every body row of every table, each cell as the text a reader sees."""
    rows: list[list[str]] = []
    in_body = False
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type in ("tbody_open", "tbody_close"):
            in_body = token.type == "tbody_open"
        elif token.type == "tr_open" and in_body:
            rows.append([])
        elif token.type == "inline" and in_body:
            rows[-1].append("".join(c.content for c in token.children or []))
    return rows


def check_markdown(markdown: str, *, allowed_html: tuple[str, ...]) -> str:
    """Tables keep their columns, the only HTML is ours, names make no links or emphasis;
    returns the rendered HTML."""
    found = tokens(markdown)
    widths: list[int] = []
    for token in found:
        if token.type == "tr_open":
            widths.append(0)
        elif token.type in ("th_open", "td_open"):
            widths[-1] += 1
        elif token.type == "table_close":
            assert len(set(widths)) == 1, widths  # a `|` in a name split no row
            widths = []
    for token in found:
        if token.type in ("html_block", "html_inline"):
            assert token.content.strip().startswith(allowed_html), token.content
        assert "evil" not in str(token.attrs.get("href", "")), token  # a name made no link
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    for raw in ("<script>", "<b>x</b>", "<details open>", "<strong>bold</strong>"):
        assert raw not in html, raw
    assert html.count("<details>") == html.count("</details>")
    return html


@pytest.mark.parametrize("world", [COMBOS[0]], indirect=True, ids=["monitors"])  # one is enough
def test_the_pr_comment_cannot_be_broken_out_of(world):
    emu, path, cli = world
    path.write_text(policy(NAMES[4:]))  # the Markdown and HTML names exist and are updated
    assert cli("apply", str(path), "--auto-approve").exit_code == 0
    path.write_text(policy(NAMES, runbook="https://wiki.example.com/new`|</details>"))
    planned = cli("plan", str(path), "--format", "markdown")
    assert planned.exit_code == 0, planned.output
    comment = planned.stdout
    assert "Create (4)" in comment and "Update (3)" in comment
    html = check_markdown(comment, allowed_html=("<!--", "<details><summary>", "</details>",
                                                 "<sub>", "</sub>"))
    # Every <details> is one the comment opened: the new alerts' values and one folded
    # description diff per update; a name's </details> closed none of them.
    assert html.count("<details>") == 1 + 3
    cells = {row[0] for row in table_rows(comment)}
    assert {f"{n}: p95 latency" for n in NAMES} <= cells  # each name whole, in one cell
    for name in NAMES:
        assert html.count(name.replace("&", "&amp;").replace("<", "&lt;")
                          .replace(">", "&gt;").replace('"', "&quot;")) >= 1, name


def test_guides_stay_in_their_folder_and_cannot_be_broken_out_of(tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(policy(NAMES).replace("    id: k", "    id: page-"))
    out = tmp_path / "guide"
    written = CliRunner().invoke(app, ["guide", str(path), "--out", str(out)])
    assert written.exit_code == 0, written.output
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert pages == sorted(["index.md"] + [f"{ui}/page-{i}.md" for ui in ("alerts", "monitors")
                                           for i in range(len(NAMES))])
    assert {p.name for p in tmp_path.iterdir()} == {"guide", "hostile.yaml"}  # nothing beside
    for page in pages:
        check_markdown((out / page).read_text(), allowed_html=("<!--",))
    rows = table_rows((out / "index.md").read_text())
    assert [row[1:3] for row in rows] == [[f"{n}: p95 latency", n] for n in NAMES]


def test_keys_that_differ_only_in_case_never_share_a_guide_page(tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text(policy(NAMES[:2]).replace("id: k0", "id: Cart").replace("id: k1", "id: cart"))
    result = CliRunner().invoke(app, ["guide", str(path), "--out", str(tmp_path / "g")])
    assert result.exit_code == 1, result.output
    assert "differ only in case" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "g" / "alerts").exists()


@pytest.mark.parametrize("world", [COMBOS[1]], indirect=True, ids=["alert-rules"])
def test_control_characters_from_sentry_are_shown_not_obeyed(world):
    emu, path, cli = world
    path.write_text(policy(NAMES[:1]))
    assert cli("apply", str(path), "--auto-approve").exit_code == 0
    [(kind, obj_id, _)] = managed_objects(emu, "acme", POLICY)
    # What someone typed into Sentry's UI (or a hostile server sends): clear the screen, show
    # the rest backwards, and fake a plan line.
    emu.edit(kind, obj_id, {"name": "ok\x1b[2J\u202eevil\x07\nPlan: 0 to create, 0 to update"},
             org="acme")
    for fmt in ("text", "markdown"):
        planned = cli("plan", str(path), "--format", fmt)
        assert planned.exit_code == 0, planned.output
        for raw in ("\x1b", "\u202e", "\x07"):
            assert raw not in planned.output, (fmt, planned.output)
        assert "\\x1b[2J" in planned.output and "\\u202e" in planned.output
        fake = "Plan: 0 to create, 0 to update"
        if fmt == "text":  # not a line of its own
            assert not [line for line in planned.stdout.splitlines()
                        if line.strip().startswith(fake)], planned.stdout
        else:  # only ever inside code
            assert not [t for t in tokens(planned.stdout) if fake in t.content
                        and t.type not in ("code_inline", "fence")], planned.stdout
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0 and "\x1b" not in applied.output


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
