"""Small Markdown helpers that keep any value intact on GitHub (and GitLab).

Transaction names are free text: they may hold `|`, backticks, `*` or `<`. Values a person
copies go into code spans (or fenced blocks when they span lines); the helpers pick fences
long enough for the content and escape what GitHub's table parser would otherwise split.
Control, bidi and zero-width characters (possible in names read from Sentry) are shown as
escapes (visible_text.py), so nothing on a page is hidden or reordered.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sentry_alerts.visible_text import visible

_BACKTICK_RUN = re.compile(r"`+")
# Characters that start Markdown syntax anywhere in a line of text; `<` only where it could
# open an HTML tag or autolink; `#` and `>` only at the start (heading, quote).
_TEXT_SPECIAL = re.compile(r"([\\`*_\[\]|~]|<(?=[A-Za-z/!?])|&(?=[A-Za-z#])|^[#>])")


def _longest_backtick_run(text: str) -> int:
    return max((len(m.group(0)) for m in _BACKTICK_RUN.finditer(text)), default=0)


def code(text: str) -> str:
    """`text` as an inline code span that renders exactly `text` (single line)."""
    text = visible(text.replace("\r", " ").replace("\n", " "))
    fence = "`" * (_longest_backtick_run(text) + 1)
    # CommonMark strips one space from each side when both are present, and a backtick next
    # to the fence would merge with it: pad in both cases.
    pad = text.startswith("`") or text.endswith("`") or (
        text.startswith(" ") and text.endswith(" ") and text.strip() != ""
    )
    if pad:
        text = f" {text} "
    return f"{fence}{text}{fence}"


def cell(markdown: str) -> str:
    """Make already-rendered inline Markdown safe inside a GFM table cell.

    GFM splits table rows on every unescaped `|`, even inside code spans; `\\|` renders as
    `|` in both places."""
    return markdown.replace("|", "\\|").replace("\n", " ")


def code_cell(text: str) -> str:
    """A code span for a table cell."""
    return cell(code(text))


def text(value: str) -> str:
    """Plain text with Markdown syntax characters escaped (for names in headings and prose)."""
    return _TEXT_SPECIAL.sub(r"\\\1", visible(value.replace("\r", " ").replace("\n", " ")))


def fenced(content: str, info: str = "text") -> str:
    """A fenced code block holding `content` verbatim (multi-line values)."""
    content = visible(content, lines=True)
    fence = "`" * max(3, _longest_backtick_run(content) + 1)
    return f"{fence}{info}\n{content}\n{fence}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A GFM table from cells that are already inline Markdown (escaped with `cell`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plain_number(value: float) -> str:
    """750.0 -> '750', 0.5 -> '0.5', 1500000 -> '1500000' (never exponent notation)."""
    if float(value).is_integer():
        return str(int(value))
    # repr is the shortest exact form; Decimal turns its exponent notation into digits.
    return format(Decimal(repr(float(value))), "f")
