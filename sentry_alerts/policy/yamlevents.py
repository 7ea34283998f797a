"""A policy's values built straight from libyaml's event stream, with where every key and value
is written (yamltree.read_yaml uses this and turns every problem into a Diagnostic).

Why events and not PyYAML's node graph: the graph of a 50,000-transaction file held 260 MB (a
node and two Mark objects per value) before a single value existed, and resolving each
scalar's tag in Python cost more than parsing (issue 11). Here each location is one packed
integer in an array per mapping or list (`Locs`), a plain scalar's text is resolved once per
distinct text, and the common events (plain scalars, mappings and lists without anchors or
tags) take a short path: these loops run once per value of the file.

The rules are the node graph's, as the previous reader applied them: keys stay the text the
user wrote, the first of two equal keys is kept (the second is an error, its value ignored),
aliases are copied under a budget, `<<` merges fill missing keys, only the core tags are
allowed, and a problem that stops reading (`Stop`) still lets a syntax error further down be
reported first, as when the whole file was composed before its values were built.
"""

from __future__ import annotations

from array import array
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from sentry_alerts.policy.diagnostics import Diagnostic

MAX_ALIAS_VALUES = 100_000  # values produced by expanding aliases (a billion-laughs stops here)
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = frozenset({
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
})
_RESOLVER = Resolver()
_MISSING = object()


def unpack(packed: int) -> tuple[int, int]:
    """A packed location (0-based `line << 32 | column`) as 1-based (line, col)."""
    return (packed >> 32) + 1, (packed & 0xFFFFFFFF) + 1


def _pack(mark: Any) -> int:
    return mark.line << 32 | mark.column


class Locs:
    """Where the items of one mapping or list are written. A mapping's `at[2*i]` and `at[2*i+1]`
    are its i-th key's and value's packed locations (in the dict's order); a list's `at[i]` is
    its i-th item's. `children[i]` is the i-th item's own Locs when that item is a mapping or a
    list whose insides have known locations; `children` is None when no item has any."""

    __slots__ = ("at", "children")

    def __init__(self, at: array, children: list[Locs | None] | None) -> None:
        self.at = at
        self.children = children

    def child(self, index: int) -> Locs | None:
        children = self.children
        return children[index] if children is not None and index < len(children) else None


class Stop(Exception):
    """Abandon building: the diagnostic explains why."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Anchor:
    """What `&name` stands for: a scalar's text and tag, or a finished mapping or list."""

    __slots__ = ("mark", "open", "is_scalar", "tag", "text", "value", "at", "locs", "size",
                 "height")

    def __init__(self, mark: Any) -> None:
        self.mark = mark
        self.open = True  # a mapping or list still being built: an alias to it is a cycle
        self.is_scalar = False
        self.tag = _STR
        self.text = ""
        self.value: Any = None
        self.at = _pack(mark)
        self.locs: Locs | None = None
        self.size = 1  # values in it, itself included (the alias budget counts these)
        self.height = 0  # levels of nesting below it


# A built value: (value, packed location, its Locs, values in it, levels below it).
Built = tuple[Any, int, "Locs | None", int, int]


class Builder:
    """One document's values and locations, from a loader's events (`document`), or Stop, or
    the composer's and parser's own errors (yaml.MarkedYAMLError)."""

    def __init__(self, loader: Any, filename: str) -> None:
        self.get = loader.get_event
        self.filename = filename
        self.errors: list[Diagnostic] = []  # duplicate keys: reported, reading goes on
        self.anchors: dict[str, _Anchor] = {}
        self.alias_values = 0
        self.plain: dict[str, Any] = {}  # a plain scalar's text -> its value (one per text)
        self.constructed: dict[tuple[str, str], Any] = {}  # (tag, text) -> value
        self.constructor: Any = None
        self.containers_open = 0  # mapping and list starts read minus their ends

    # -- the document --

    def document(self) -> Built | None:
        """The document's root, or None when the stream holds no document."""
        get = self.get
        event = get()  # the stream's start
        event = get()
        if type(event) is StreamEndEvent:
            return None
        first = get()
        root = self.node(first, 0, first.start_mark)
        get()  # the document's end
        event = get()
        if type(event) is DocumentStartEvent:
            raise ComposerError("expected a single document in the stream", first.start_mark,
                                "but found another document", event.start_mark)
        return root

    def drain(self) -> None:
        """After a Stop: read the rest of the file for the errors composing it would have raised
        first (syntax, an undefined or repeated anchor, a second document)."""
        known = set(self.anchors)
        depth = self.containers_open
        while True:
            event = self.get()
            kind = type(event)
            if kind is StreamEndEvent or event is None:
                return
            if kind is AliasEvent:
                if event.anchor not in known:
                    raise ComposerError(None, None, "found undefined alias", event.start_mark)
                continue
            name = getattr(event, "anchor", None)
            if name is not None:
                if name in known:
                    first = self.anchors[name].mark if name in self.anchors else event.start_mark
                    raise ComposerError("found duplicate anchor; first occurrence", first,
                                        "second occurrence", event.start_mark)
                known.add(name)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
            elif kind is DocumentStartEvent and depth <= 0:
                raise ComposerError("expected a single document in the stream", None,
                                    "but found another document", event.start_mark)

    # -- any node --

    def stop(self, mark: Any, code: str, message: str) -> Stop:
        return Stop(Diagnostic(self.filename, mark.line + 1, mark.column + 1, "error", code,
                               message))

    def node(self, event: Any, depth: int, site: Any, *, any_tag: bool = False) -> Built:
        """Any value. `site`: where an alias here is used from, for the alias budget's error
        (the key of a mapping's value, a list's start for its items). `any_tag`: a mapping
        merged by `<<` may carry any tag (its tag is not read)."""
        kind = type(event)
        if kind is AliasEvent:
            return self.alias(event, depth, site)
        if kind is ScalarEvent:
            tag = self.scalar_anchor(event)
            if depth > MAX_DEPTH:
                raise self.too_deep(event.start_mark)
            return self.value_of(tag, event.value, event.start_mark), _pack(event.start_mark), \
                None, 1, 0
        self.containers_open += 1  # first: skip_to counts on it after a Stop
        is_mapping = kind is MappingStartEvent
        anchor = self.new_anchor(event) if event.anchor is not None else None
        if depth > MAX_DEPTH:
            raise self.too_deep(event.start_mark)
        tag = event.tag
        if tag is not None and tag != "!" and tag != (_MAP if is_mapping else _SEQ) \
                and not any_tag:
            raise self.stop(event.start_mark, "yaml-tag", f"YAML tag {tag} is not supported")
        built = self.mapping(event, depth) if is_mapping else self.sequence(event, depth)
        if anchor is not None:
            anchor.value, anchor.at, anchor.locs, anchor.size, anchor.height = built
            anchor.open = False
        return built

    def too_deep(self, mark: Any) -> Stop:
        return self.stop(mark, "yaml-too-deep",
                         f"the YAML is nested more than {MAX_DEPTH} levels deep")

    def scalar_anchor(self, event: Any) -> str:
        """A scalar's tag, after recording the anchor it defines, if any."""
        tag = self.tag_of(event)
        if event.anchor is not None:
            anchor = self.new_anchor(event)
            anchor.open, anchor.is_scalar, anchor.tag, anchor.text = False, True, tag, \
                event.value
        return tag

    def new_anchor(self, event: Any) -> _Anchor:
        name = event.anchor
        if name in self.anchors:
            raise ComposerError("found duplicate anchor; first occurrence",
                                self.anchors[name].mark, "second occurrence", event.start_mark)
        made = self.anchors[name] = _Anchor(event.start_mark)
        return made

    def tag_of(self, event: Any) -> str:
        tag = event.tag
        if tag is not None and tag != "!":
            return tag
        if not event.implicit[0]:
            return _STR
        return _RESOLVER.resolve(ScalarNode, event.value, (True, False))

    def value_of(self, tag: str, text: str, mark: Any) -> Any:
        """A scalar value by its tag: str, int, float, bool, null or timestamp (a text that
        does not construct stays text); any other tag stops."""
        if tag == _STR:
            return text
        if tag not in _SCALAR_TAGS:
            raise self.stop(mark, "yaml-tag",
                            f"YAML tag {tag} is not supported; write a plain value")
        key = (tag, text)
        value = self.constructed.get(key, _MISSING)
        if value is _MISSING:
            if self.constructor is None:
                from yaml.constructor import SafeConstructor

                self.constructor = SafeConstructor()
            try:
                value = self.constructor.construct_object(ScalarNode(tag, text, mark, mark))
            except (yaml.YAMLError, ValueError, OverflowError):
                value = text
            self.constructed[key] = value
        return value

    def plain_value(self, text: str, mark: Any) -> Any:
        """A plain scalar's value, resolved once per distinct text (a policy repeats `500ms`,
        `p95` and `#ops-alerts` thousands of times; equal texts share one string)."""
        tag = _RESOLVER.resolve(ScalarNode, text, (True, False))
        value = self.value_of(tag, text, mark)
        self.plain[text] = value
        return value

    def alias(self, event: Any, depth: int, site: Any, *, merge: Any = None) -> Built:
        """A copy of what the alias names. `merge`: the `<<` key when this is its value (what
        a merge adds is counted by `merge`)."""
        anchor = self.anchor_of(event)
        if anchor.open:
            if merge is not None:
                raise self.merge_cycle(merge)
            raise self.stop(anchor.mark, "yaml-alias",
                            "an alias refers to the node that contains it (a cycle); "
                            "a policy cannot be infinite")
        if depth + anchor.height > MAX_DEPTH:
            raise self.too_deep(anchor.mark)
        if anchor.is_scalar:  # a scalar is not counted: it cannot multiply
            return self.value_of(anchor.tag, anchor.text, anchor.mark), anchor.at, None, 1, 0
        if merge is None:
            self.count_alias_values(anchor.size, site)
        return _copy(anchor.value), anchor.at, anchor.locs, anchor.size, anchor.height

    def count_alias_values(self, size: int, site: Any) -> None:
        self.alias_values += size
        if self.alias_values > MAX_ALIAS_VALUES:
            raise self.stop(
                site, "yaml-alias",
                f"the file's aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values; "
                "this looks like a YAML bomb. Write the values out or use fewer aliases")

    # -- mappings --

    def key(self, event: Any) -> tuple[str, Any, bool]:
        """A mapping key: (its text as written, its mark, whether it is `<<`). A key is never
        converted (`on`, `1` and `null` stay text) nor checked for its tag."""
        kind = type(event)
        if kind is ScalarEvent:
            tag = self.scalar_anchor(event)
            return event.value, event.start_mark, tag == _MERGE
        if kind is AliasEvent:
            anchor = self.anchor_of(event)
            if anchor.is_scalar:
                return anchor.text, anchor.mark, anchor.tag == _MERGE
            mark = anchor.mark
        else:
            self.containers_open += 1
            if event.anchor is not None:
                self.new_anchor(event)
            mark = event.start_mark
        raise self.stop(mark, "wrong-type", "a key must be plain text, not a list or a mapping")

    def anchor_of(self, event: Any) -> _Anchor:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise ComposerError(None, None, "found undefined alias", event.start_mark)
        return anchor

    def mapping(self, start: Any, depth: int) -> Built:
        get, plain = self.get, self.plain
        result: dict[str, Any] = {}
        at = array("q")
        add = at.append
        children: list[Locs | None] | None = None
        merges: list[tuple[Any, list[Built] | Stop]] = []
        size, height = 1, 0
        scalars_fit = depth < MAX_DEPTH  # a scalar value at depth + 1 is within the limit
        while True:
            event = get()
            kind = type(event)
            if kind is MappingEndEvent:
                self.containers_open -= 1
                break
            if kind is ScalarEvent and event.anchor is None and event.tag is None \
                    and event.implicit[0] and event.value != "<<":
                key, key_mark, is_merge = event.value, event.start_mark, False
            else:
                key, key_mark, is_merge = self.key(event)
            if is_merge:
                merges.append((key_mark, self.merge_sources(get(), depth, key_mark)))
                continue
            duplicate = key in result
            if duplicate:
                value, value_at, locs, value_size, value_height = self.skipped(depth, key_mark)
            else:
                event = get()
                if type(event) is ScalarEvent and event.anchor is None and event.tag is None \
                        and scalars_fit:
                    text = event.value
                    if event.implicit[0]:
                        value = plain.get(text, _MISSING)
                        if value is _MISSING:
                            value = self.plain_value(text, event.start_mark)
                    else:
                        value = text
                    mark = event.start_mark
                    add(key_mark.line << 32 | key_mark.column)
                    add(mark.line << 32 | mark.column)
                    result[key] = value
                    if children is not None:
                        children.append(None)
                    size += 1
                    if not height:
                        height = 1
                    continue
                value, value_at, locs, value_size, value_height = self.node(event, depth + 1,
                                                                            key_mark)
            if duplicate:
                self.errors.append(self.duplicate_key(key, key_mark, result, at))
                continue
            add(key_mark.line << 32 | key_mark.column)
            add(value_at)
            result[key] = value
            if locs is not None and children is None:
                children = [None] * (len(result) - 1)
            if children is not None:
                children.append(locs)
            size += value_size
            if value_height + 1 > height:
                height = value_height + 1
        if merges:
            children, merged_size, merged_height = self.merge(result, at, children, merges, depth)
            size += merged_size
            height = max(height, merged_height)
        return result, _pack(start.start_mark), Locs(at, children), size, height

    def skipped(self, depth: int, key_mark: Any) -> Built:
        """The value of a repeated key, read and dropped: the first value is kept, and what is
        inside the dropped one (its problems, its aliases) does not count."""
        errors, alias_values, level = len(self.errors), self.alias_values, self.containers_open
        anchors = len(self.anchors)
        try:
            self.node(self.get(), depth + 1, key_mark)
        except Stop:
            self.skip_to(level)
            for anchor in list(self.anchors.values())[anchors:]:
                anchor.open = False
        del self.errors[errors:]
        self.alias_values = alias_values
        return None, 0, None, 0, 0

    def skip_to(self, level: int) -> None:
        """Read events until the containers opened after `level` are closed again."""
        while self.containers_open > level:
            event = self.get()
            kind = type(event)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                self.containers_open += 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self.containers_open -= 1
            elif kind is AliasEvent and event.anchor not in self.anchors:
                raise ComposerError(None, None, "found undefined alias", event.start_mark)
            name = getattr(event, "anchor", None) if kind is not AliasEvent else None
            if name is not None:
                anchor = self.new_anchor(event)  # defined in dropped text: usable, empty
                anchor.open = False

    def duplicate_key(self, key: str, mark: Any, result: dict[str, Any], at: array) -> Diagnostic:
        index = next(i for i, name in enumerate(result) if name == key)
        first = (at[2 * index] >> 32) + 1
        return Diagnostic(
            self.filename, mark.line + 1, mark.column + 1, "error", "duplicate-yaml-key",
            f"key `{key}` appears twice in this mapping (first at line {first}); "
            "YAML would silently keep only the last one. Remove or rename one of them")

    def merge_sources(self, event: Any, depth: int, merge_key: Any) -> list[Built] | Stop:
        """What `<<: *a`, `<<: {...}` or `<<: [*a, *b]` merges. A problem is returned rather
        than raised (its events read to the end): the mapping's own keys are read first."""
        level, anchors = self.containers_open, len(self.anchors)
        try:
            return self.merged(event, depth, merge_key)
        except Stop as stop:
            self.skip_to(level)
            for anchor in list(self.anchors.values())[anchors:]:
                anchor.open = False
            return stop

    def merged(self, event: Any, depth: int, merge_key: Any) -> list[Built]:
        kind = type(event)
        if kind is ScalarEvent:
            self.scalar_anchor(event)
            raise self.not_a_mapping(merge_key)
        if kind is MappingStartEvent:
            return [self.node(event, depth + 1, merge_key, any_tag=True)]
        if kind is AliasEvent:
            return self.aliased_sources(self.anchor_of(event), merge_key)
        # A list: each item is merged in turn.
        self.containers_open += 1
        anchor = self.new_anchor(event) if event.anchor is not None else None
        sources: list[Built] = []
        while True:
            item = self.get()
            kind = type(item)
            if kind is SequenceEndEvent:
                self.containers_open -= 1
                break
            if kind is MappingStartEvent:
                sources.append(self.node(item, depth + 2, merge_key, any_tag=True))
                continue
            if kind is AliasEvent:
                found = self.anchor_of(item)
                if found.open:
                    raise self.merge_cycle(merge_key)
                if isinstance(found.value, dict) and not found.is_scalar:
                    sources.append((_copy(found.value), found.at, found.locs, found.size,
                                    found.height))
                    continue
            elif kind is ScalarEvent:
                self.scalar_anchor(item)
            else:
                self.containers_open += 1
                if item.anchor is not None:
                    self.new_anchor(item)
            raise self.not_a_mapping(merge_key)
        if anchor is not None:
            at = array("q", [built[1] for built in sources])
            anchor.value = [built[0] for built in sources]
            anchor.locs = Locs(at, [built[2] for built in sources])
            anchor.size = 1 + sum(built[3] for built in sources)
            anchor.height = 1 + max((built[4] for built in sources), default=0)
            anchor.open = False
        return sources

    def aliased_sources(self, anchor: _Anchor, merge_key: Any) -> list[Built]:
        """`<<: *a`: the mapping `a`, or each mapping of the list `a`."""
        if anchor.open:
            raise self.merge_cycle(merge_key)
        if anchor.is_scalar:
            raise self.not_a_mapping(merge_key)
        value, locs = anchor.value, anchor.locs
        if isinstance(value, dict):
            return [(_copy(value), anchor.at, locs, anchor.size, anchor.height)]
        if not isinstance(value, list):  # defined inside a value dropped after a problem
            raise self.not_a_mapping(merge_key)
        sources: list[Built] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.not_a_mapping(merge_key)
            size, height = _measure(item)
            assert locs is not None
            sources.append((_copy(item), locs.at[i], locs.child(i), size, height))
        return sources

    def merge_cycle(self, merge_key: Any) -> Stop:
        return self.stop(merge_key, "yaml-alias", "`<<` merges a mapping into itself (a cycle)")

    def not_a_mapping(self, merge_key: Any) -> Stop:
        return self.stop(merge_key, "yaml-merge",
                         "`<<` must refer to a mapping (e.g. `<<: *defaults`)")

    def merge(self, result: dict[str, Any], at: array, children: list[Locs | None] | None,
              merges: list[tuple[Any, list[Built] | Stop]], depth: int
              ) -> tuple[list[Locs | None] | None, int, int]:
        """`<<` fills the keys the mapping does not set itself, in order. A merged key and its
        value are located where the merged mapping writes them (what is inside the value: at
        the value). Returns the children's Locs, and the values and levels the merges add."""
        added_size = added_height = 0
        for merge_key, sources in merges:
            if isinstance(sources, Stop):
                raise sources
            for value, _, locs, size, height in sources:
                if depth + 1 + height > MAX_DEPTH:
                    raise self.too_deep(merge_key)
                self.count_alias_values(size - 1, merge_key)  # a merge copies every value
                added_size += size - 1
                added_height = max(added_height, height + 1)
                assert locs is not None  # a mapping's
                for i, (key, item) in enumerate(value.items()):
                    if key in result:
                        continue
                    result[key] = item
                    at.append(locs.at[2 * i])
                    at.append(locs.at[2 * i + 1])
                    if children is not None:
                        children.append(None)
        return children, added_size, added_height

    # -- lists --

    def sequence(self, start: Any, depth: int) -> Built:
        get, plain = self.get, self.plain
        result: list[Any] = []
        at = array("q")
        add = at.append
        children: list[Locs | None] | None = None
        size, height = 1, 0
        scalars_fit = depth < MAX_DEPTH
        site = start.start_mark
        while True:
            event = get()
            kind = type(event)
            if kind is SequenceEndEvent:
                self.containers_open -= 1
                break
            if kind is ScalarEvent and event.anchor is None and event.tag is None and scalars_fit:
                text = event.value
                if event.implicit[0]:
                    value = plain.get(text, _MISSING)
                    if value is _MISSING:
                        value = self.plain_value(text, event.start_mark)
                else:
                    value = text
                mark = event.start_mark
                add(mark.line << 32 | mark.column)
                result.append(value)
                if children is not None:
                    children.append(None)
                size += 1
                if not height:
                    height = 1
                continue
            value, value_at, locs, value_size, value_height = self.node(event, depth + 1, site)
            add(value_at)
            result.append(value)
            if locs is not None and children is None:
                children = [None] * (len(result) - 1)
            if children is not None:
                children.append(locs)
            size += value_size
            if value_height + 1 > height:
                height = value_height + 1
        return result, _pack(start.start_mark), Locs(at, children), size, height


def _measure(value: Any) -> tuple[int, int]:
    """(values in it, itself included; levels below it)."""
    if isinstance(value, dict | list):
        items = value.values() if isinstance(value, dict) else value
        sizes = [_measure(item) for item in items]
        return 1 + sum(s for s, _ in sizes), 1 + max((h for _, h in sizes), default=-1)
    return 1, 0


def _copy(value: Any) -> Any:
    """Each use of an alias gets its own copy of the anchored mapping or list."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


__all__ = ["MAX_ALIAS_VALUES", "MAX_DEPTH", "Builder", "Locs", "Stop", "unpack"]
