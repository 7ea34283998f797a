"""The YAML event reader's (yamlevents.py) `<<` merge keys, and how it reads on after a problem:
the value of a repeated key is dropped, a problem with a merge waits until the mapping's own
keys are read (as when merges were applied after them), and after a problem that stops reading
the rest of the file is still parsed for a syntax error, which is reported first.
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
    SequenceStartEvent,
    StreamEndEvent,
)

from sentry_alerts.policy.yamlvalues import (
    MAX_DEPTH,
    Anchor,
    Built,
    Locs,
    Stop,
    copy_value,
    measure,
)


class MergeKeys:
    """`<<: *a`, `<<: {...}` and `<<: [*a, *b]` (the Builder's)."""

    containers_open: int
    anchors: dict[str, Anchor]
    get: Any

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
                    sources.append((copy_value(found.value), found.at, found.locs))
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
            anchor.locs = Locs(at, {i: built[2] for i, built in enumerate(sources)
                                    if built[2] is not None})
            anchor.size, anchor.height = measure(anchor.value)
            anchor.open = False
        return sources

    def aliased_sources(self, anchor: Anchor, merge_key: Any) -> list[Built]:
        """`<<: *a`: the mapping `a`, or each mapping of the list `a`."""
        if anchor.open:
            raise self.merge_cycle(merge_key)
        if anchor.is_scalar:
            raise self.not_a_mapping(merge_key)
        value, locs = anchor.value, anchor.locs
        if isinstance(value, dict):
            return [(copy_value(value), anchor.at, locs)]
        if not isinstance(value, list):  # defined inside a value dropped after a problem
            raise self.not_a_mapping(merge_key)
        sources: list[Built] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.not_a_mapping(merge_key)
            assert locs is not None
            sources.append((copy_value(item), locs.at[i], locs.child(i)))
        return sources

    def merge_cycle(self, merge_key: Any) -> Stop:
        return self.stop(merge_key, "yaml-alias", "`<<` merges a mapping into itself (a cycle)")

    def not_a_mapping(self, merge_key: Any) -> Stop:
        return self.stop(merge_key, "yaml-merge",
                         "`<<` must refer to a mapping (e.g. `<<: *defaults`)")

    def merge(self, result: dict[str, Any], at: array,
              merges: list[tuple[Any, list[Built] | Stop]], depth: int) -> None:
        """`<<` fills the keys the mapping does not set itself, in order. A merged key and its
        value are located where the merged mapping writes them (what is inside the value: at
        the value, as it has no Locs of its own here)."""
        for merge_key, sources in merges:
            if isinstance(sources, Stop):
                raise sources
            for value, _, locs in sources:
                size, height = measure(value)
                if depth + 1 + height > MAX_DEPTH:
                    raise self.too_deep(merge_key)
                self.count_alias_values(size - 1, merge_key)  # a merge copies every value
                assert locs is not None  # a mapping's
                for i, (key, item) in enumerate(value.items()):
                    if key in result:
                        continue
                    result[key] = item
                    at.append(locs.at[2 * i])
                    at.append(locs.at[2 * i + 1])


class Recovery:
    """Reading on after a problem (the Builder's)."""

    containers_open: int
    anchors: dict[str, Anchor]
    errors: list[Any]
    alias_values: int
    get: Any

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

    def skipped(self, depth: int, key_mark: Any) -> None:
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
            if kind is ScalarEvent and event.anchor is not None:
                self.scalar_anchor(event)  # defined in dropped text: still usable
            elif kind is not AliasEvent and getattr(event, "anchor", None) is not None:
                self.new_anchor(event).open = False  # a mapping or list: usable, empty


__all__ = ["MergeKeys", "Recovery"]
