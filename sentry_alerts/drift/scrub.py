"""Removing secrets from what self-monitoring sends, by value.

sentry-sdk's own scrubber matches key *names* (`token`, `authorization`, …); it does not look at
values, list items (such as `sys.argv`, which its argv integration attaches to events), or
exception messages (notes §6.5). So every event, check-in and breadcrumb is walked here, and
every string loses: the configured token (however it was given), the values that follow
`--token` on the command line, and anything shaped like a Sentry token (`sntryu_…`, `sntrys_…`,
`sntrya_…`, `sntryi_…`, and `Bearer …`). Pure: no sentry_sdk import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

FILTERED = "[Filtered]"
_TOKEN_SHAPES = re.compile(r"sntry[uasi]_[A-Za-z0-9_=+/.-]+|(?i:bearer)\s+\S+")
SECRET_FLAGS = ("--token",)


def secrets_from(argv: Sequence[str], *values: str | None) -> list[str]:
    """The secret values to remove: these, and those given to `--token` in argv."""
    found = [v for v in values if v]
    for i, arg in enumerate(argv):
        for flag in SECRET_FLAGS:
            if arg == flag and i + 1 < len(argv):
                found.append(argv[i + 1])
            elif arg.startswith(flag + "="):
                found.append(arg.split("=", 1)[1])
    # Longest first, so a secret that contains another is removed whole; short values (a typo,
    # an empty flag) would blank out ordinary words.
    return sorted({s.strip() for s in found if len(s.strip()) >= 8}, key=len, reverse=True)


class Scrubber:
    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = [s for s in secrets if s]

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, FILTERED)
        return _TOKEN_SHAPES.sub(FILTERED, value)

    def __call__(self, value: Any) -> Any:
        """A copy of `value` (JSON-like: dicts, lists, strings) with every secret removed,
        in keys and values at any depth."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        return value


__all__ = ["FILTERED", "Scrubber", "secrets_from"]
