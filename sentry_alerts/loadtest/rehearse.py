"""`sentry-alerts loadtest rehearse`: would the Sentry alert have fired during the load test?

k6's raw output (`--out json=RAW.json`) holds one `http_req_duration` point per request, with
its time and its `group` tag. Each alert's rule is replayed over them the way Sentry evaluates a
metric alert: every `resolution` (1 minute for windows under 30 minutes, more for longer ones;
sentry-api-notes §2.1), on the clock's minute, the statistic over the trailing window
(t - window, t]; a trigger becomes active when the value goes above its threshold and resolves
when it goes below the resolve threshold (or, without one, back below its own threshold); the
alert's status is its highest active trigger. An evaluation with no request in its window
changes nothing. Percentiles interpolate linearly between the closest ranks, as k6's do.

Evaluations continue after the last request until it has left the window, as Sentry's would
(with no further traffic). Sentry's own percentiles are approximate, so a value within a few
percent of a threshold may go either way in production.
"""

from __future__ import annotations

import bisect
import gzip
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.loadtest.metrics import DURATION
from sentry_alerts.loadtest.model import LoadTestPlan
from sentry_alerts.model import AlertSpec

Status = Literal["ok", "warning", "critical"]
RANK = {"ok": 0, "warning": 1, "critical": 2}
# Sentry's evaluation step per window (minutes), from get_alert_resolution.
_RESOLUTION_MINUTES = ((30, 1), (60, 2), (120, 3), (240, 3), (720, 5), (1440, 5))


def resolution_minutes(window_minutes: int) -> int:
    for below, step in _RESOLUTION_MINUTES:
        if window_minutes < below:
            return step
    return 15


def statistic_value(statistic: str, values: list[float]) -> float:
    """The statistic of a non-empty list; percentiles by linear interpolation (as k6)."""
    if statistic == "avg":
        return sum(values) / len(values)
    if statistic == "max":
        return max(values)
    ordered = sorted(values)
    rank = int(statistic[1:]) / 100 * (len(ordered) - 1)
    low, high = ordered[math.floor(rank)], ordered[math.ceil(rank)]
    return low + (high - low) * (rank - math.floor(rank))


@dataclass(frozen=True)
class AlertRule:
    statistic: str
    window_s: float
    every_s: float
    critical: float
    warning: float | None = None
    resolve: float | None = None

    @staticmethod
    def of(spec: AlertSpec) -> AlertRule:
        return AlertRule(spec.statistic, spec.window_minutes * 60.0,
                         resolution_minutes(spec.window_minutes) * 60.0, spec.critical_ms,
                         spec.warning_ms, spec.resolve_ms)

    def resolves_below(self, threshold: float) -> float:
        """Where a trigger at `threshold` resolves: the resolve threshold, else its own."""
        return self.resolve if self.resolve is not None else threshold

    def all_clear_below(self) -> float:
        """Below this the alert is resolved (every trigger, the lowest one last)."""
        return self.resolves_below(self.warning if self.warning is not None else self.critical)


@dataclass(frozen=True)
class Transition:
    at: float  # epoch seconds of the evaluation
    before: Status
    after: Status
    value: float
    requests: int  # in the window


@dataclass
class Replay:
    transitions: list[Transition] = field(default_factory=list)
    evaluations: int = 0
    peak: tuple[float, float] | None = None  # (value, at)
    status: Status = "ok"  # after the last evaluation
    data_left_window_at: float | None = None  # first evaluation with an empty window


def replay(rule: AlertRule, samples: list[tuple[float, float]]) -> Replay:
    """Evaluate `rule` over (epoch seconds, ms) samples; see the module docstring."""
    out = Replay()
    if not samples:
        return out
    samples = sorted(samples)
    times = [t for t, _ in samples]
    values = [v for _, v in samples]
    tick = math.ceil(times[0] / rule.every_s) * rule.every_s
    critical_on = warning_on = False
    while True:
        lo = bisect.bisect_right(times, tick - rule.window_s)
        hi = bisect.bisect_right(times, tick)
        if lo == hi:
            if tick - rule.window_s >= times[-1]:
                out.data_left_window_at = tick
                return out
            tick += rule.every_s
            continue
        value = statistic_value(rule.statistic, values[lo:hi])
        out.evaluations += 1
        if out.peak is None or value > out.peak[0]:
            out.peak = (value, tick)
        if not critical_on and value > rule.critical:
            critical_on = True
        elif critical_on and value < rule.resolves_below(rule.critical):
            critical_on = False
        if rule.warning is not None:
            if not warning_on and value > rule.warning:
                warning_on = True
            elif warning_on and value < rule.resolves_below(rule.warning):
                warning_on = False
        status: Status = "critical" if critical_on else "warning" if warning_on else "ok"
        if status != out.status:
            out.transitions.append(Transition(tick, out.status, status, value, hi - lo))
            out.status = status
        tick += rule.every_s


@dataclass(frozen=True)
class RawTimings:
    path: str
    by_group: dict[str, list[tuple[float, float]]]  # group (or name tag) -> (epoch s, ms)
    points: int  # http_req_duration points read
    skipped_lines: int  # lines that were not JSON (e.g. cut off when k6 was killed)


def parse_time(text: str) -> float:
    """k6's RFC 3339 times with nanoseconds, e.g. 2026-12-01T12:10:33.477157116Z."""
    return datetime.fromisoformat(text).timestamp()


def _open(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def read_raw(path: str | Path) -> RawTimings:
    """The per-request timings of k6's `--out json=FILE` (or FILE.gz), grouped by the `group`
    tag (without its leading `::`), or by the `name` tag for requests outside a group."""
    p = Path(path)
    if not p.is_file():
        raise SentryAlertsError(f"no such raw output file: {path}; `loadtest run` writes raw.json.gz "
                                "in its --out-dir, and `k6 run --out json=FILE` writes one.")
    by_group: dict[str, list[tuple[float, float]]] = {}
    points = skipped = 0
    try:
        with _open(p) as lines:
            for line in lines:
                if f'"{DURATION}"' not in line:
                    continue  # most lines are other metrics: skip them unparsed
                try:
                    item = json.loads(line)
                    if item.get("type") != "Point" or item.get("metric") != DURATION:
                        continue
                    data = item["data"]
                    tags = data.get("tags") or {}
                    at, value = parse_time(data["time"]), float(data["value"])
                except (ValueError, KeyError, TypeError, AttributeError):
                    skipped += 1
                    continue
                group = str(tags.get("group") or "").removeprefix("::")
                key = group if group and "::" not in group else str(tags.get("name") or "")
                by_group.setdefault(key, []).append((at, value))
                points += 1
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SentryAlertsError(f"cannot read {path}: {exc}.") from None
    if not points:
        raise SentryAlertsError(
            f"{path} holds no {DURATION} points: it is not k6's raw output, or the test sent no "
            "request. Write it with `k6 run --out json=FILE` (`loadtest run` does).")
    return RawTimings(str(path), by_group, points, skipped)


@dataclass
class Rehearsal:
    spec: AlertSpec
    group: str
    rule: AlertRule
    requests: int
    result: Replay


@dataclass
class RehearsalReport:
    policy: str
    raw: RawTimings
    start: float
    end: float
    alerts: list[Rehearsal]
    unmatched_groups: list[str]


def rehearse(plan: LoadTestPlan, raw: RawTimings) -> RehearsalReport:
    alerts = []
    matched: set[str] = set()
    for endpoint in plan.endpoints:
        samples = raw.by_group.get(endpoint.group)
        if samples is None and endpoint.group != endpoint.transaction:
            samples = raw.by_group.get(endpoint.transaction)  # requests tagged by name
        samples = samples or []
        matched.update({endpoint.group, endpoint.transaction})
        rule = AlertRule.of(endpoint.spec)
        alerts.append(Rehearsal(endpoint.spec, endpoint.group, rule, len(samples),
                                replay(rule, samples)))
    if not any(a.requests for a in alerts):
        raise SentryAlertsError(
            f"none of the requests in {raw.path} belongs to an endpoint of the policy "
            f"{plan.policy.name}: it measured {', '.join(sorted(raw.by_group)) or 'no group'}, "
            f"the policy load-tests {', '.join(e.group for e in plan.endpoints)}. Was it "
            "written by this policy's script?")
    times = [t for samples in raw.by_group.values() for t, _ in samples]
    return RehearsalReport(plan.policy.name, raw, min(times), max(times), alerts,
                           sorted(set(raw.by_group) - matched))
