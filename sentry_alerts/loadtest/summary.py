"""Read a k6 end-of-test summary in either of its JSON shapes (k6 notes, §2).

- `k6 run --summary-export FILE`: each metric's values flattened onto it, a rate's `rate`
  renamed `value`, and thresholds as `{expression: failed}`, so **`true` means failed**.
- `handleSummary(data)` written with JSON.stringify: `{type, contains, values: {...},
  thresholds: {expression: {ok}}}` per metric, plus `options` and `state`.

Both become one `Summary` whose thresholds say `passed`, so nothing downstream has to remember
which shape inverts the boolean.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sentry_alerts.errors import SentryAlertsError

MAX_SUMMARY_BYTES = 64 * 1024 * 1024
SUMMARY_EXPORT = "summary-export"
HANDLE_SUMMARY = "handleSummary"
Shape = Literal["summary-export", "handleSummary"]


@dataclass(frozen=True)
class Metric:
    values: dict[str, float]  # trend: avg, p(95), ...; rate: rate, passes, fails; counter: count
    passed: dict[str, bool] = field(default_factory=dict)  # threshold expression -> passed


@dataclass(frozen=True)
class Summary:
    path: str
    shape: Shape
    metrics: dict[str, Metric]
    trend_stats: tuple[str, ...] | None = None  # handleSummary's options.summaryTrendStats
    duration_ms: float | None = None  # handleSummary's state.testRunDurationMs


def _not_a_summary(path: str, why: str) -> SentryAlertsError:
    return SentryAlertsError(
        f"{path} is not a k6 summary ({why}). Give the file written by `k6 run --summary-export "
        "FILE`, or the JSON a handleSummary() wrote with JSON.stringify(data); `sentry-alerts "
        "loadtest run` writes summary.json in its --out-dir.")


def read_summary(path: str | Path) -> Summary:
    name = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise _not_a_summary(name, "it is a folder")
        if p.stat().st_size > MAX_SUMMARY_BYTES:
            raise _not_a_summary(name, f"it is larger than {MAX_SUMMARY_BYTES // 2**20} MB")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SentryAlertsError(f"no such summary file: {name}; check the path (`loadtest run` "
                                "writes summary.json in its --out-dir).") from None
    except UnicodeDecodeError:
        raise _not_a_summary(name, "it is not UTF-8 text") from None
    except OSError as exc:
        raise SentryAlertsError(f"cannot read {name}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _not_a_summary(name, f"it is not JSON: {exc}") from None
    return parse_summary(data, name)


def parse_summary(data: Any, name: str = "<summary>") -> Summary:
    if not isinstance(data, dict):
        raise _not_a_summary(name, "its JSON is not an object")
    if "results" in data and "metrics" not in data:
        raise SentryAlertsError(
            f"{name} is k6's new machine-readable summary (--new-machine-readable-summary), "
            "which has no thresholds and only the default statistics; write the summary with "
            "`k6 run --summary-export FILE` instead.")
    metrics = data.get("metrics")
    if not isinstance(metrics, dict) or not metrics:
        raise _not_a_summary(name, "it has no `metrics` object")
    nested = any(isinstance(m, dict) and isinstance(m.get("values"), dict)
                 for m in metrics.values())
    parsed: dict[str, Metric] = {}
    for metric_name, raw in metrics.items():
        if not isinstance(raw, dict):
            raise _not_a_summary(name, f"metric {metric_name!r} is not an object")
        parsed[metric_name] = _nested(raw) if nested else _flat(raw)
    if not nested:
        return Summary(name, SUMMARY_EXPORT, parsed)
    options, state = data.get("options"), data.get("state")
    stats = options.get("summaryTrendStats") if isinstance(options, dict) else None
    duration = state.get("testRunDurationMs") if isinstance(state, dict) else None
    return Summary(name, HANDLE_SUMMARY, parsed,
                   tuple(str(s) for s in stats) if isinstance(stats, list) else None,
                   _number(duration))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _values(raw: dict[str, Any]) -> dict[str, float]:
    return {k: n for k, v in raw.items() if (n := _number(v)) is not None}


def _flat(raw: dict[str, Any]) -> Metric:
    """--summary-export: `{"p(95)": 488.1, "thresholds": {"p(95)<500": true}}`: true = FAILED."""
    values = _values({k: v for k, v in raw.items() if k != "thresholds"})
    if "passes" in values and "fails" in values and "value" in values:  # a rate
        values["rate"] = values.pop("value")
    thresholds = raw.get("thresholds")
    passed = {str(expr): failed is False for expr, failed in thresholds.items()} \
        if isinstance(thresholds, dict) else {}
    return Metric(values, passed)


def _nested(raw: dict[str, Any]) -> Metric:
    """handleSummary: `{"values": {...}, "thresholds": {"p(95)<500": {"ok": false}}}`."""
    values = _values(raw.get("values") or {}) if isinstance(raw.get("values"), dict) else {}
    thresholds = raw.get("thresholds")
    passed = {str(expr): isinstance(result, dict) and result.get("ok") is True
              for expr, result in thresholds.items()} if isinstance(thresholds, dict) else {}
    return Metric(values, passed)
