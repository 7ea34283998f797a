"""Read a policy file's YAML into plain values plus the line:col of every key and value.

PyYAML's `safe_load` forgets where things are and silently keeps the last of two equal keys, so
this composes the node graph (libyaml when present, SafeLoader's rules either way) and builds the
values itself: keys stay the text the user wrote (`on:` is "on", not True), duplicate keys are
errors, aliases are expanded under a budget (no YAML bombs), and nothing ever raises: every
problem becomes a Diagnostic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sentry_alerts.policy.diagnostics import Diagnostic

MAX_BYTES = 5 * 1024 * 1024  # a 5,000-transaction policy is under 1 MB
MAX_ALIAS_VALUES = 100_000  # values produced by expanding aliases (a billion-laughs stops here)
MAX_DEPTH = 64

Path = tuple[str | int, ...]
Loc = tuple[int, int]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlDocument:
    data: Any
    values: dict[Path, Loc] = field(default_factory=dict)  # where each value starts
    keys: dict[Path, Loc] = field(default_factory=dict)  # where each mapping key starts

    def where(self, path: Path, *, key: bool = False) -> Loc:
        """The location of `path` (its key when `key`), or of its nearest known ancestor."""
        p = tuple(path)
        while True:
            if key and p in self.keys:
                return self.keys[p]
            if p in self.values:
                return self.values[p]
            if p in self.keys:
                return self.keys[p]
            if not p:
                return (1, 1)
            p = p[:-1]


class _Stop(Exception):
    """Abandon building: the diagnostic explains why."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def read_yaml(raw: bytes, filename: str) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse `raw` into a document, or None and the errors saying why not. A document can come
    with errors too (a duplicate key: the first value is kept), so that the policy's other
    checks still run."""

    def error(line: int, col: int, code: str, message: str) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(filename, line, col, "error", code, message)]

    if len(raw) > MAX_BYTES:
        return error(
            1, 1, "file-too-large",
            f"the file is {len(raw) / 1_048_576:.1f} MB; policy files are limited to "
            f"{MAX_BYTES // 1_048_576} MB (5,000 transactions take under 1 MB). Is this the "
            "right file? Split very large policies into several files.",
        )
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

    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
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

    if root is None:
        return error(
            1, 1, "empty-file",
            "the file is empty; a policy needs at least `version: 1`, `name:` and `transactions:`",
        )
    builder = _Builder(filename)
    try:
        data = builder.build(root, (), 0)
    except _Stop as stop:
        return None, [stop.diagnostic]
    except RecursionError:
        return error(1, 1, "yaml-too-deep", "the YAML is nested too deeply to be a policy")
    return YamlDocument(data, builder.values, builder.keys), builder.errors


class _Builder:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.values: dict[Path, Loc] = {}
        self.keys: dict[Path, Loc] = {}
        self.errors: list[Diagnostic] = []
        self.seen: set[int] = set()  # nodes already built once: meeting one again is an alias
        self.active: set[int] = set()  # nodes being built: meeting one again is a cycle
        self.alias_values = 0
        self.alias_site: Node | None = None
        self.constructor = SafeConstructor()

    def diag(self, node: Node, code: str, message: str) -> Diagnostic:
        return Diagnostic(self.filename, node.start_mark.line + 1, node.start_mark.column + 1,
                          "error", code, message)

    def build(self, node: Node, path: Path, depth: int, *, in_alias: bool = False,
              parent: Node | None = None) -> Any:
        if depth > MAX_DEPTH:
            raise _Stop(self.diag(node, "yaml-too-deep",
                                  f"the YAML is nested more than {MAX_DEPTH} levels deep"))
        ident = id(node)
        if ident in self.active:
            raise _Stop(self.diag(node, "yaml-alias",
                                  "an alias refers to the node that contains it (a cycle); "
                                  "a policy cannot be infinite"))
        if ident in self.seen and not isinstance(node, ScalarNode) and not in_alias:
            in_alias = True
            self.alias_site = parent or node  # the mapping or list that uses the alias
        self.seen.add(ident)
        if in_alias:
            self.alias_values += 1
            if self.alias_values > MAX_ALIAS_VALUES:
                raise _Stop(self.diag(
                    self.alias_site or node, "yaml-alias",
                    f"the file's aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values; "
                    "this looks like a YAML bomb. Write the values out or use fewer aliases",
                ))
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)

        if isinstance(node, ScalarNode):
            return self.scalar(node)
        self.active.add(ident)
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ:
                    raise _Stop(self.diag(node, "yaml-tag", f"YAML tag {node.tag} is not supported"))
                return [self.build(item, (*path, i), depth + 1, in_alias=in_alias, parent=node)
                        for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                if node.tag != _MAP:
                    raise _Stop(self.diag(node, "yaml-tag", f"YAML tag {node.tag} is not supported"))
                return self.mapping(node, path, depth, in_alias)
        finally:
            self.active.discard(ident)
        raise _Stop(self.diag(node, "yaml-syntax", "unsupported YAML node"))

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise _Stop(self.diag(node, "yaml-tag",
                                  f"YAML tag {node.tag} is not supported; write a plain value"))
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError):
            return node.value

    def mapping(self, node: MappingNode, path: Path, depth: int, in_alias: bool) -> dict:
        result: dict[str, Any] = {}
        merges: list[tuple[Node, Node]] = []  # (the `<<` key, what it refers to)
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append((key_node, value_node))
                continue
            if not isinstance(key_node, ScalarNode):
                raise _Stop(self.diag(key_node, "wrong-type",
                                      "a key must be plain text, not a list or a mapping"))
            key = key_node.value  # the text as written: `on`, `1` and `null` stay strings
            if key in first_seen:
                self.errors.append(self.diag(
                    key_node, "duplicate-yaml-key",
                    f"key `{key}` appears twice in this mapping (first at line {first_seen[key]}); "
                    "YAML would silently keep only the last one. Remove or rename one of them",
                ))
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, (*path, key), depth + 1, in_alias=in_alias,
                                     parent=key_node)
        # `<<: *defaults` fills keys the mapping does not set itself.
        for merge_key, merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if id(source) in self.active or depth > MAX_DEPTH:
                    raise _Stop(self.diag(merge_key, "yaml-alias",
                                          "`<<` merges a mapping into itself (a cycle)"))
                if not isinstance(source, MappingNode):
                    raise _Stop(self.diag(merge_key, "yaml-merge",
                                          "`<<` must refer to a mapping (e.g. `<<: *defaults`)"))
                self.active.add(id(source))
                try:
                    built = self.mapping(source, (*path, "<<"), depth + 1, True)
                finally:
                    self.active.discard(id(source))
                for key, value in built.items():
                    if key not in result:
                        result[key] = value
                        self.keys[(*path, key)] = self.keys.get((*path, "<<", key), (1, 1))
                        self.values[(*path, key)] = self.values.get((*path, "<<", key), (1, 1))
        return result


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
