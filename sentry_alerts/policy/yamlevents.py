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

yamlvalues.py holds what is built (locations, anchors, scalars); yamlmerge.py the merge keys
and reading on after a problem.
"""

from __future__ import annotations

from array import array
from typing import Any

from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)

from sentry_alerts.policy.diagnostics import Diagnostic
from sentry_alerts.policy.yamlmerge import MergeKeys, Recovery
from sentry_alerts.policy.yamlvalues import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MISSING,
    Anchor,
    Built,
    Locs,
    Scalars,
    Stop,
    copy_value,
    measure,
    pack,
)

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


class Builder(Scalars, MergeKeys, Recovery):
    """One document's values and locations, from a loader's events (`document`), or Stop, or
    the composer's and parser's own errors (yaml.MarkedYAMLError)."""

    def __init__(self, loader: Any, filename: str) -> None:
        self.get = loader.get_event
        self.filename = filename
        self.errors: list[Diagnostic] = []  # duplicate keys: reported, reading goes on
        self.anchors: dict[str, Anchor] = {}
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
            return self.value_of(tag, event.value, event.start_mark), pack(event.start_mark), None
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
            anchor.value, anchor.at, anchor.locs = built
            anchor.size, anchor.height = measure(anchor.value)
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

    def new_anchor(self, event: Any) -> Anchor:
        name = event.anchor
        if name in self.anchors:
            raise ComposerError("found duplicate anchor; first occurrence",
                                self.anchors[name].mark, "second occurrence", event.start_mark)
        made = self.anchors[name] = Anchor(event.start_mark)
        return made

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
            return self.value_of(anchor.tag, anchor.text, anchor.mark), anchor.at, None
        if merge is None:
            self.count_alias_values(anchor.size, site)
        return copy_value(anchor.value), anchor.at, anchor.locs

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

    def anchor_of(self, event: Any) -> Anchor:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise ComposerError(None, None, "found undefined alias", event.start_mark)
        return anchor

    def mapping(self, start: Any, depth: int) -> Built:
        get, plain = self.get, self.plain
        result: dict[str, Any] = {}
        at = array("q")
        add = at.append
        children: dict[int, Locs] | None = None  # by item index, for items with insides
        merges: list[tuple[Any, list[Built] | Stop]] = []
        scalars_fit = depth < MAX_DEPTH  # a scalar value at depth + 1 is within the limit
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent and event.anchor is None and event.tag is None:
                key = event.value  # the text as written, whatever it resolves to
                key_mark = event.start_mark
                if key == "<<" and event.implicit[0]:  # a plain `<<`: a merge key
                    merges.append((key_mark, self.merge_sources(get(), depth, key_mark)))
                    continue
            elif kind is MappingEndEvent:
                self.containers_open -= 1
                break
            else:
                key, key_mark, is_merge = self.key(event)
                if is_merge:
                    merges.append((key_mark, self.merge_sources(get(), depth, key_mark)))
                    continue
            if key in result:
                self.skipped(depth, key_mark)
                self.errors.append(self.duplicate_key(key, key_mark, result, at))
                continue
            event = get()
            # A plain scalar is read here, not through node(): most values of a policy are,
            # and a call per value costs about a tenth of the read (issue 11). sequence()
            # repeats these lines for the same reason.
            if type(event) is ScalarEvent and event.anchor is None and event.tag is None \
                    and scalars_fit:
                text = event.value
                if event.implicit[0]:
                    value = plain.get(text, MISSING)
                    if value is MISSING:
                        value = self.plain_value(text, event.start_mark)
                else:
                    value = text
                mark = event.start_mark
                add(key_mark.line << 32 | key_mark.column)
                add(mark.line << 32 | mark.column)
                result[key] = value
                continue
            value, value_at, locs = self.node(event, depth + 1, key_mark)
            add(key_mark.line << 32 | key_mark.column)
            add(value_at)
            if locs is not None:
                if children is None:
                    children = {}
                children[len(result)] = locs
            result[key] = value
        if merges:
            self.merge(result, at, merges, depth)
        return result, pack(start.start_mark), Locs(at, children)

    def duplicate_key(self, key: str, mark: Any, result: dict[str, Any], at: array) -> Diagnostic:
        index = next(i for i, name in enumerate(result) if name == key)
        first = (at[2 * index] >> 32) + 1
        return Diagnostic(
            self.filename, mark.line + 1, mark.column + 1, "error", "duplicate-yaml-key",
            f"key `{key}` appears twice in this mapping (first at line {first}); "
            "YAML would silently keep only the last one. Remove or rename one of them")

    # -- lists --

    def sequence(self, start: Any, depth: int) -> Built:
        get, plain = self.get, self.plain
        result: list[Any] = []
        at = array("q")
        add = at.append
        children: dict[int, Locs] | None = None
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
                    value = plain.get(text, MISSING)
                    if value is MISSING:
                        value = self.plain_value(text, event.start_mark)
                else:
                    value = text
                mark = event.start_mark
                add(mark.line << 32 | mark.column)
                result.append(value)
                continue
            value, value_at, locs = self.node(event, depth + 1, site)
            add(value_at)
            if locs is not None:
                if children is None:
                    children = {}
                children[len(result)] = locs
            result.append(value)
        return result, pack(start.start_mark), Locs(at, children)


__all__ = ["Builder"]
