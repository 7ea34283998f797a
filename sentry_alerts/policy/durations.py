"""Durations and windows as a policy writes them.

Thresholds: `750ms`, `0.75s`, `1.5s`, `2m`, or a bare number meaning milliseconds.
Windows: `1m`, `5m`, `10m`, `15m`, `30m`, `1h`, `2h`, `4h`, `24h` (and equal spellings such as
`60m`): the values Sentry's UI can show (model.WINDOWS_MINUTES).
"""

from __future__ import annotations

import math
import re

from sentry_alerts.model import WINDOWS_MINUTES, format_window

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$", re.IGNORECASE)
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "min": 60_000.0, "h": 3_600_000.0}

WINDOW_CHOICES = ", ".join(format_window(m) for m in WINDOWS_MINUTES)


class DurationError(ValueError):
    """A duration or window the policy cannot use; the message says what to write instead."""


def parse_duration_ms(value: object) -> float:
    """`750ms` -> 750.0, `1.5s` -> 1500.0, `750` -> 750.0. Must be a finite number above 0."""
    if type(value) is str:
        ms = _TEXT_MS.get(value)
        return ms if ms is not None else _parse_duration_ms(value)
    return _parse_duration_ms(value)


# Each duration text once: a policy repeats `500ms` and `750ms` thousands of times (issue 11).
# Bounded, for a file of all-different texts; only texts that parse are kept.
_TEXT_MS: dict[str, float] = {}
_TEXT_MS_MAX = 4096


def _parse_duration_ms(value: object) -> float:
    if isinstance(value, bool) or value is None:
        raise DurationError(f"expected a duration such as 750ms or 1.5s, got {_show(value)}")
    if isinstance(value, int | float):
        ms = float(value)
    elif isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise DurationError(
                f"{_show(value)} is not a duration; write a number with a unit, such as 750ms, "
                "0.75s or 1.5s (a bare number means milliseconds)"
            )
        ms = float(m.group(1)) * _UNIT_MS[(m.group(2) or "ms").lower()]
    else:
        raise DurationError(f"expected a duration such as 750ms or 1.5s, got {_show(value)}")
    if not math.isfinite(ms):
        raise DurationError(f"{_show(value)} is not a finite duration; write e.g. 750ms")
    if ms <= 0:
        raise DurationError(f"thresholds must be above 0 ms, got {_show(value)}; write e.g. 750ms")
    if isinstance(value, str) and len(_TEXT_MS) < _TEXT_MS_MAX:
        _TEXT_MS[value] = ms
    return ms


BARE_NUMBER_SUSPECT_BELOW = 10.0  # ms: no latency threshold is meant to be this low
_BARE_NUMBER_RE = re.compile(r"\s*(\d+(\.\d*)?|\.\d+)\s*")


def suspicious_bare_number(value: object) -> float | None:
    """The number when a threshold is a bare number (no unit, so milliseconds) under 10:
    `critical: 2` is far more likely 2 seconds than 2 ms. None otherwise."""
    if isinstance(value, bool) or (type(value) is str and value[-1:].isalpha()):
        return None  # a flag, or a text that ends in a unit (the usual case)
    unitless = isinstance(value, str) and _BARE_NUMBER_RE.fullmatch(value)
    if not (isinstance(value, int | float) or unitless):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if 0 < number < BARE_NUMBER_SUSPECT_BELOW else None


def parse_window_minutes(value: object) -> int:
    """`5m` -> 5, `1h` -> 60. Only the windows Sentry's UI offers."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DurationError(f"expected a window such as 5m or 1h, got {_show(value)}")
    if isinstance(value, int | float) or re.fullmatch(r"\s*[\d.]+\s*", value):
        raise DurationError(
            f"window {_show(value)} has no unit; write minutes or hours, e.g. 5m or 1h "
            f"(allowed: {WINDOW_CHOICES})"
        )
    m = _DURATION_RE.match(value)
    unit = (m.group(2) or "").lower() if m else ""
    if not m or unit not in ("m", "min", "h"):
        raise DurationError(
            f"{_show(value)} is not a window; write minutes or hours, one of {WINDOW_CHOICES}"
        )
    minutes = float(m.group(1)) * (60 if unit == "h" else 1)
    if not minutes.is_integer() or int(minutes) not in WINDOWS_MINUTES:
        nearest = min(WINDOWS_MINUTES, key=lambda w: abs(w - minutes))
        raise DurationError(
            f"Sentry does not offer a {value.strip()} window (other values break its alert UI); "
            f"use one of {WINDOW_CHOICES}; the nearest is {format_window(nearest)}"
        )
    return int(minutes)


def _show(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else f'"{value[:37]}..."'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
