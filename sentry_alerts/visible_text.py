"""Text from elsewhere (Sentry's answers, alerts edited in its UI) made safe to show.

The policy refuses control, bidi and zero-width characters (`invisible-character`), but a live
alert's name or description, or a server's error message, may hold them: an ESC that clears
the terminal or recolours what follows, an RLO that shows a name backwards, a line break that
fakes a line of the plan. Plans, apply reports, guides and errors show such characters as
escapes (`\\x1b`, `\\u202e`, `\\n`), visibly, instead of letting them act.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_invisible(char: str) -> bool:
    """A control, format (bidi, zero-width) or line/paragraph separator character."""
    return unicodedata.category(char) in ("Cc", "Cf") or char in "\u2028\u2029"


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def visible(text: str, *, lines: bool = False) -> str:
    """`text` with every invisible character written as an escape. With `lines`, line breaks
    (`\\n`) are kept: the text is shown over several lines on purpose."""
    if text.isprintable() and (lines or "\n" not in text):
        return text  # the common case, at C speed
    return "".join(_escape(c) if is_invisible(c) and not (lines and c == "\n") else c
                   for c in text)


__all__ = ["is_invisible", "visible"]
