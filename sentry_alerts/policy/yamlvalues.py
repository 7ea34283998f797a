"""What the YAML event reader (yamlevents.py) builds and shares: values with their packed
locations (`Locs`), anchors, the problems that stop reading (`Stop`), and scalars: their tags,
resolved once per distinct text, and their values.
"""

from __future__ import annotations

from array import array
from typing import Any

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from sentry_alerts.policy.diagnostics import Diagnostic

MAX_ALIAS_VALUES = 100_000  # values produced by expanding aliases (a billion-laughs stops here)
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = frozenset({
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
})
_RESOLVER = Resolver()
MISSING = object()


def unpack(packed: int) -> tuple[int, int]:
    """A packed location (0-based `line << 32 | column`) as 1-based (line, col)."""
    return (packed >> 32) + 1, (packed & 0xFFFFFFFF) + 1


def pack(mark: Any) -> int:
    return mark.line << 32 | mark.column


class Locs:
    """Where the items of one mapping or list are written. A mapping's `at[2*i]` and `at[2*i+1]`
    are its i-th key's and value's packed locations (in the dict's order); a list's `at[i]` is
    its i-th item's. `children[i]` is the i-th item's own Locs when that item is a mapping or a
    list whose insides have known locations; `children` is None when no item has any."""

    __slots__ = ("at", "children")

    def __init__(self, at: array, children: dict[int, Locs] | None) -> None:
        self.at = at
        self.children = children

    def child(self, index: int) -> Locs | None:
        children = self.children
        return children.get(index) if children is not None else None


class Stop(Exception):
    """Abandon building: the diagnostic explains why."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class Anchor:
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
        self.at = pack(mark)
        self.locs: Locs | None = None
        self.size = 1  # values in it, itself included (the alias budget counts these)
        self.height = 0  # levels of nesting below it


# A built value: (value, its packed location, its Locs).
Built = tuple[Any, int, "Locs | None"]


class Scalars:
    """A scalar's tag and value (the Builder's; `plain` and `constructed` are its caches)."""

    plain: dict[str, Any]
    constructed: dict[tuple[str, str], Any]
    constructor: Any

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
        value = self.constructed.get(key, MISSING)
        if value is MISSING:
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

def measure(value: Any) -> tuple[int, int]:
    """(values in it, itself included; levels below it)."""
    if isinstance(value, dict | list):
        items = value.values() if isinstance(value, dict) else value
        sizes = [measure(item) for item in items]
        return 1 + sum(s for s, _ in sizes), 1 + max((h for _, h in sizes), default=-1)
    return 1, 0


def copy_value(value: Any) -> Any:
    """Each use of an alias gets its own copy of the anchored mapping or list."""
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    return value


__all__ = ["MAX_ALIAS_VALUES", "MAX_DEPTH", "MISSING", "Anchor", "Built", "Locs", "Scalars", "Stop",
           "copy_value", "measure", "pack", "unpack"]
