"""Read a policy file's YAML into plain values plus the line:col of every key and value.

PyYAML's `safe_load` forgets where things are and silently keeps the last of two equal keys, so
the values are built here from libyaml's events (yamlevents.py; SafeLoader's rules either way):
keys stay the text the user wrote (`on:` is "on", not True), duplicate keys are errors, aliases
are expanded under a budget (no YAML bombs), and nothing ever raises: every problem becomes a
Diagnostic.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from sentry_alerts.policy.diagnostics import Diagnostic
from sentry_alerts.policy.yamlevents import Builder
from sentry_alerts.policy.yamlvalues import Locs, Stop, unpack

# The size limit's default, in MB; SENTRY_ALERTS_MAX_POLICY_MB changes it (loader.py). 50,000
# transactions take about 6 MB, and reading them peaks well under 300 MB of memory.
DEFAULT_MAX_MB = 16
MAX_BYTES = DEFAULT_MAX_MB * 1_048_576

Path = tuple[str | int, ...]
Loc = tuple[int, int]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlDocument:
    """A document's values (`data`) and where each key and value is written (`where`).
    `printable`: the file holds no character a value could hide text with (controls, bidi,
    zero-width; tabs and line breaks aside) and no escape that could write one."""

    def __init__(self, data: Any, root: int = 0, locs: Locs | None = None, *,
                 printable: bool = False) -> None:
        self.data = data
        self._root = root  # the packed location of the root value
        self._locs = locs
        self.printable = printable

    def where(self, path: Path, *, key: bool = False) -> Loc:
        """The location of `path` (its key when `key`), or of its nearest known ancestor."""
        found, value, locs = self._root, self.data, self._locs
        for part in path:
            if locs is None:
                break
            if isinstance(value, dict):
                if part not in value:
                    break
                index = _index_in(value, part)
                found = locs.at[2 * index + (0 if key else 1)]
            elif isinstance(value, list) and type(part) is int and 0 <= part < len(value):
                index = part
                found = locs.at[index]
            else:
                break
            value, locs = value[part], locs.child(index)
        return unpack(found)

    def item_lines(self, path: Path) -> list[int]:
        """The line of each item of the list at `path` (one walk for all of them, not one per
        item); [] when there is no list there."""
        value, locs = self.data, self._locs
        for part in path:
            if locs is None or not isinstance(value, dict) or part not in value:
                return []
            locs, value = locs.child(_index_in(value, part)), value[part]
        if not isinstance(value, list) or locs is None:
            return []
        return [(packed >> 32) + 1 for packed in locs.at]


def _index_in(mapping: dict[str, Any], key: Any) -> int:
    for i, name in enumerate(mapping):
        if name == key:
            return i
    raise KeyError(key)  # pragma: no cover - callers check `key in mapping` first


def read_yaml(raw: bytes, filename: str, *, max_bytes: int = MAX_BYTES
              ) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse `raw` into a document, or None and the errors saying why not. A document can come
    with errors too (a duplicate key: the first value is kept), so that the policy's other
    checks still run. `max_bytes`: the size limit."""

    def error(line: int, col: int, code: str, message: str) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(filename, line, col, "error", code, message)]

    if len(raw) > max_bytes:
        return error(1, 1, "file-too-large", too_large(len(raw), max_bytes))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return error(1, 1, "not-utf8", "the file is UTF-16; save it as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _line_col_bytes(raw, nul)
        return error(
            line, col, "binary-file",
            "the file holds binary data (a NUL byte), not YAML text; is this the right file?",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col_bytes(raw, exc.start)
        return error(
            line, col, "not-utf8",
            f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
        )

    stopped: Stop | None = None
    try:
        loader = _Loader(text)
        try:
            builder = Builder(loader, filename)
            try:
                root = builder.document()
            except Stop as stop:
                # A syntax error anywhere in the file is reported before a problem with the
                # values, as when the whole file was parsed first: read the rest.
                stopped, root = stop, None
                builder.drain()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_diagnostic(exc, text, filename)]
    except yaml.reader.ReaderError as exc:
        line, col = _line_col_text(text, exc.position)
        return error(
            line, col, "yaml-syntax",
            f"character #x{exc.character:04x} is not allowed in YAML; remove it "
            "(is this a text file?)"
            if isinstance(exc.character, int)
            else f"unreadable character: {exc.reason}",
        )
    except yaml.YAMLError as exc:
        return error(1, 1, "yaml-syntax", f"invalid YAML: {exc}")
    except RecursionError:
        return error(1, 1, "yaml-too-deep", "the YAML is nested too deeply to be a policy")

    if stopped is not None:
        return None, [stopped.diagnostic]
    if root is None:
        return error(
            1, 1, "empty-file",
            "the file is empty; a policy needs at least `version: 1`, `name:` and `transactions:`",
        )
    data, at, locs = root
    return YamlDocument(data, at, locs, printable=_printable(text)), builder.errors


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(text: str) -> bool:
    """No control, format (bidi, zero-width) or separator character but tabs and line breaks,
    and no `\\` (a quoted value's escape can write any character): then no value holds one,
    and checks.check_invisible need not look (one pass in C instead of one per value)."""
    if "\\" in text:
        return False
    if text.isascii():
        return _ASCII_CONTROL.search(text) is None
    return text.replace("\n", "").replace("\t", "").replace("\r", "").isprintable()


def too_large(size: int | None, limit: int) -> str:
    """The file-too-large message: how large the file is (None: over the limit, found while
    reading it), the limit, and how to raise it."""
    what = f"the file is {_size(size)}" if size is not None else "the file grew over the limit"
    return (f"{what}; policy files are limited to {_size(limit, exact=True)} (50,000 "
            "transactions take about 6 MB). Is this the right file? Split very large policies "
            "into several files, or raise the limit with SENTRY_ALERTS_MAX_POLICY_MB or "
            "`sentry-alerts --max-policy-mb MB` (e.g. 32).")


def _size(n: int, *, exact: bool = False) -> str:
    """`n` bytes for people: 5.8 MB, 16 MB (`exact`: no rounding to .1), 0.5 KB, 104 bytes."""
    if n >= 104_858:
        return f"{n / 1_048_576:g} MB" if exact else f"{n / 1_048_576:.1f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str, filename: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (exc.problem or "").strip()
    lines = text.splitlines()
    unclosed = _unclosed_quote(exc, lines, line)
    if unclosed is not None:
        q_line, q_col, quote = unclosed
        return Diagnostic(filename, q_line, q_col, "error", "yaml-unclosed-quote",
                          f"the {quote} opened here is never closed (YAML read on to line "
                          f"{line} looking for it); add the closing {quote} on this line")
    tab_line = next((i + 1 for i, s in enumerate(lines)
                     if "\t" in s[: len(s) - len(s.lstrip(" \t"))]), None)
    if "tab" in problem or (tab_line is not None and tab_line <= line):
        where = tab_line or line
        return Diagnostic(filename, where, 1, "error", "yaml-tab",
                          "this line is indented with a tab; YAML needs spaces for indentation. "
                          "Replace the tab with spaces")
    if "another document" in problem:
        return Diagnostic(filename, line, col, "error", "yaml-multiple-documents",
                          "the file holds more than one YAML document (a second `---`); a policy "
                          "file is one document: remove the `---` or split the file")
    context = f" ({exc.context.strip()})" if exc.context else ""
    near = [lines[m.line] for m in (exc.context_mark, exc.problem_mark)
            if m is not None and m.line < len(lines)]
    if any(re.search(r":\s*\{\w+\}", ln) for ln in near):
        return Diagnostic(filename, line, col, "error", "yaml-syntax",
                          f"invalid YAML: {problem or 'syntax error'}{context}. A value that starts "
                          "with `{` must be quoted, e.g. `name: \"{transaction} is slow\"`")
    return Diagnostic(filename, line, col, "error", "yaml-syntax",
                      f"invalid YAML: {problem or 'syntax error'}{context}; check indentation, "
                      "colons and quotes around this point")


def _unclosed_quote(exc: yaml.MarkedYAMLError, lines: list[str],
                    error_line: int) -> tuple[int, int, str] | None:
    """Where a quote that is never closed opened: (line, col, the quote), or None.

    PyYAML reports an unclosed quote at the end of the file ("while scanning a quoted scalar"),
    or, when a later quote happens to close it, as some other error further down; either way
    the mistake is on the line where the quote opened."""
    if "quoted scalar" in (exc.context or "") and exc.context_mark is not None:
        mark = exc.context_mark
        quote = lines[mark.line][mark.column] if mark.line < len(lines) and \
            mark.column < len(lines[mark.line]) else '"'
        return mark.line + 1, mark.column + 1, "`'`" if quote == "'" else '`"`'
    for number, text in enumerate(lines[:error_line], start=1):
        col = _open_quote_col(text)
        if col is not None:
            return number, col + 1, "`'`" if text[col] == "'" else '`"`'
    return None


def _open_quote_col(line: str) -> int | None:
    """The column of a quoted value that starts on this line but does not end on it, if any.
    A quote only starts a value after `: `, `- `, `[`, `{`, `,` or at the start of the line
    (an apostrophe inside plain text, as in `don't`, does not)."""
    i, value_may_start = 0, True
    while i < len(line):
        ch = line[i]
        if ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return None  # a comment
        if ch in "\"'" and value_may_start:
            j = i + 1
            while j < len(line):
                if ch == '"' and line[j] == "\\":
                    j += 2
                    continue
                if line[j] == ch:
                    if ch == "'" and line[j + 1:j + 2] == "'":
                        j += 2  # '' is an escaped ' inside single quotes
                        continue
                    break
                j += 1
            if j >= len(line):
                return i
            i, value_may_start = j + 1, False
            continue
        if ch in "[{," or (ch in ":-" and line[i + 1:i + 2] in (" ", "")):
            value_may_start = True
        elif ch not in " \t":
            value_may_start = False
        i += 1
    return None


def _line_col_bytes(raw: bytes, offset: int) -> Loc:
    line = raw.count(b"\n", 0, offset) + 1
    return line, offset - (raw.rfind(b"\n", 0, offset) + 1) + 1


def _line_col_text(text: str, offset: int) -> Loc:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
