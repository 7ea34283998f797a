"""How Sentry reads a search query, as an oracle for tests (no tests here).

Written from the grammar in getsentry/sentry, src/sentry/api/event_search.py (a PEG: each
alternative is tried in order, and a repetition never gives back what it matched), for the part
a metric alert's query uses: `[!]key:value` filters whose value is quoted or bare, the boolean
operators `OR`/`AND`, parentheses, and free text. Values come out as Sentry means them:

- quoted: `"` then `\\"` or any other character, up to the next `"`; `\\"` means `"`;
- bare: no space, tab, newline or parenthesis; a `"` in it must be escaped;
- an unescaped `*` (after an even number of backslashes) makes the value a wildcard; in any
  other value `\\*` means `*` (translate_escape_sequences); other backslashes stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"(!?)([a-zA-Z0-9_.-]+):")
_QUOTED = re.compile(r'"(?:\\"|[^"])*+"')
_BARE = re.compile(r"[^()\t\n ]*")
_FREE = re.compile(r"[^()\n ]+")
_OPERATOR = re.compile(r"(OR|AND)(?=[\t\n )]|$)", re.IGNORECASE)
_WILDCARD = re.compile(r"(?<!\\)(\\\\)*\*")


@dataclass(frozen=True)
class Term:
    kind: str  # "filter", "operator", "paren", "free"
    key: str = ""
    value: str = ""
    negated: bool = False
    wildcard: bool = False


def _meaning(raw: str) -> tuple[str, bool]:
    if _WILDCARD.search(raw):
        return raw, True
    return raw.replace("\\*", "*"), False


def parse(query: str) -> list[Term]:
    """The terms Sentry sees in `query`; raises ValueError where Sentry answers 400."""
    terms: list[Term] = []
    pos = 0
    while pos < len(query):
        if query[pos] == " ":
            pos += 1
            continue
        if query[pos] in "()":
            terms.append(Term("paren", value=query[pos]))
            pos += 1
            continue
        op = _OPERATOR.match(query, pos)
        if op:
            terms.append(Term("operator", value=op.group(1).upper()))
            pos = op.end()
            continue
        key = _KEY.match(query, pos)
        if key:
            at = key.end()
            quoted = _QUOTED.match(query, at)
            if quoted:
                value, wildcard = _meaning(quoted.group(0)[1:-1].replace('\\"', '"'))
                terms.append(Term("filter", key.group(2), value, bool(key.group(1)), wildcard))
                pos = quoted.end()
                continue
            bare = _BARE.match(query, at)
            raw = bare.group(0) if bare else ""
            if raw and not raw.startswith('"') and re.search(r'(?<!\\)"', raw) is None:
                value, wildcard = _meaning(raw.replace('\\"', '"'))
                terms.append(Term("filter", key.group(2), value, bool(key.group(1)), wildcard))
                pos = at + len(raw)
                continue
            if raw.startswith('"') or '"' in raw:
                raise ValueError(f"Invalid quote at {raw!r}: quotes must enclose text or be "
                                 "escaped.")
        quoted = _QUOTED.match(query, pos)
        if quoted:
            terms.append(Term("free", value=quoted.group(0)[1:-1].replace('\\"', '"')))
            pos = quoted.end()
            continue
        free = _FREE.match(query, pos)
        if not free:
            raise ValueError(f"Parse error at column {pos}")
        terms.append(Term("free", value=free.group(0)))
        pos = free.end()
    return terms
