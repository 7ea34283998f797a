"""Helpers (no tests) for the guide and monitoring-plan tests: golden files, Markdown parsing.

Golden files live in tests/golden/. After an intended change to the output, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_guide.py tests/test_monitoring_plan.py

and review the diff (`git diff tests/golden`) before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import assert_golden
from markdown_it import MarkdownIt
from markdown_it.token import Token

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

EDGE_POLICY = """\
version: 1
name: edge-cases
defaults:
  project: shop
  window: 1m
  notify:
    - slack: {channel: "#pay-alerts", channel_id: C0PAY123, workspace: Acme Corp}
    - email: team:payments
transactions:
  - transaction: "GET /api/a|b`c"
    sla: {p95: 300ms}
    alert: {critical: 450.5ms, warning: 400ms}
    owner: user:alice@example.com
  - transaction: POST /checkout
    id: checkout
    dataset: transactions
    window: 1h
    sla: {p99: 1s}
    alert: {critical: 2s, resolve: 1.5s}
    notify: []
"""


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/<name>; with UPDATE_GOLDEN=1, write it instead."""
    assert_golden(GOLDEN / name, name, actual, update=UPDATE,
                  regenerate="regenerate with UPDATE_GOLDEN=1 and review `git diff tests/golden`")


def parser() -> MarkdownIt:
    # GitHub-flavoured enough for our output: CommonMark plus tables.
    return MarkdownIt("commonmark").enable("table")


def parse(text: str) -> list[Token]:
    return parser().parse(text)


def inline_parts(token: Token) -> dict[str, list[str]]:
    """The code spans and bold texts of one inline token."""
    codes, strong = [], []
    children = token.children or []
    for i, child in enumerate(children):
        if child.type == "code_inline":
            codes.append(child.content)
        elif child.type == "strong_open":
            strong.append("".join(c.content for c in children[i + 1:i + 2]))
    return {"code": codes, "strong": strong,
            "text": "".join(c.content for c in children)}


def section_tokens(tokens: list[Token], heading: str) -> list[Token]:
    """Tokens after the heading whose text is `heading`, up to the next heading of any level
    equal or higher."""
    out: list[Token] = []
    level = None
    for i, tok in enumerate(tokens):
        if level is None:
            if tok.type == "heading_open" and tokens[i + 1].content == heading:
                level = int(tok.tag[1])
            continue
        if tok.type == "heading_open" and int(tok.tag[1]) <= level and out:
            break
        out.append(tok)
    return out


def tables(tokens: list[Token]) -> list[list[list[Token]]]:
    """Every table as rows of cells (inline tokens), header row first."""
    result: list[list[list[Token]]] = []
    row: list[Token] = []
    current: list[list[Token]] | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            current = []
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            row.append(tokens[i + 1])
        elif tok.type == "tr_close" and current is not None:
            current.append(row)
        elif tok.type == "table_close" and current is not None:
            result.append(current)
            current = None
    return result


def all_code_spans(tokens: list[Token]) -> list[str]:
    return [c.content for t in tokens if t.type == "inline" for c in (t.children or [])
            if c.type == "code_inline"]


def fences(tokens: list[Token]) -> list[str]:
    return [t.content.rstrip("\n") for t in tokens if t.type == "fence"]
