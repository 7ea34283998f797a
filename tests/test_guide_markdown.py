"""Markdown helpers: values with `|`, backticks and Markdown syntax render intact on GitHub."""

from __future__ import annotations

from guide_support import parse, parser, tables
from hypothesis import given, settings
from hypothesis import strategies as st

from sentry_alerts.guide import markdown as md

NASTY = ["GET /api/a|b`c", "`leading", "trailing`", "``double``", " both ", "a\\|b",
         "*not bold* _x_ [link](y) <b>tag</b> &amp; #h ~~s~~", "| pipe at start"]

# Control, format (bidi, zero-width) and separator characters are shown as escapes instead
# (test_invisible_characters_are_shown_as_escapes); everything else round-trips.
line_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
                    min_size=1, max_size=40)


def _code_in_paragraph(source: str) -> list[str]:
    inline = [t for t in parse(source) if t.type == "inline"][0]
    return [c.content for c in inline.children if c.type == "code_inline"]


def _table_with(cell_markdown: str) -> list[list]:
    return tables(parse(md.table(["a", "b", "c"], [["1", cell_markdown, "3"]])))[0]


def test_code_span_keeps_pipes_and_backticks_in_prose_and_tables() -> None:
    for value in NASTY:
        assert _code_in_paragraph("x " + md.code(value) + " y") == [value], value
        table = _table_with(md.code_cell(value))
        assert len(table[1]) == 3, value  # the pipe did not add a column
        codes = [c.content for c in table[1][1].children if c.type == "code_inline"]
        assert codes == [value], value


@settings(max_examples=200, deadline=None)
@given(line_text)
def test_any_single_line_value_round_trips_through_a_code_span(value: str) -> None:
    value = value.replace("\n", " ")
    assert _code_in_paragraph("x " + md.code(value) + " y") == [value]
    table = _table_with(md.code_cell(value))
    assert [c.content for c in table[1][1].children if c.type == "code_inline"] == [value]


def test_invisible_characters_are_shown_as_escapes() -> None:
    assert _code_in_paragraph("x " + md.code("a\u202eb\x1b[0m\u200b") + " y") == [
        "a\\u202eb\\x1b[0m\\u200b"]
    assert "\u202e" not in parser().render(md.text("a\u202eb"))


def test_text_escapes_markdown_syntax() -> None:
    for value in NASTY:
        html = parser().render(md.text(value)).strip()
        plain = html.removeprefix("<p>").removesuffix("</p>")
        # Nothing became markup: the only tags are the paragraph's.
        assert "<code>" not in plain and "<em>" not in plain and "<strong>" not in plain, value
        assert "<a " not in plain and "<b>" not in plain and "<del>" not in plain, value
    table = _table_with(md.text("p95 | p99"))
    assert len(table[1]) == 3


def test_fenced_block_keeps_backtick_fences_inside() -> None:
    content = "line 1\n```\nline 3 with `code`"
    fences = [t for t in parse(md.fenced(content)) if t.type == "fence"]
    assert [f.content.rstrip("\n") for f in fences] == [content]


def test_plain_number_never_uses_exponents() -> None:
    assert md.plain_number(750.0) == "750"
    assert md.plain_number(450.5) == "450.5"
    assert md.plain_number(1_500_000.0) == "1500000"
    assert md.plain_number(0.0001) == "0.0001"
