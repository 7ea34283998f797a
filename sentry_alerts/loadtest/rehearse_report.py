"""The alert rehearsal as text (when each alert would have fired and resolved) or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sentry_alerts.loadtest.profiles import k6_duration
from sentry_alerts.loadtest.rehearse import Rehearsal, RehearsalReport, Transition
from sentry_alerts.loadtest.verify import format_ms_measured
from sentry_alerts.model import format_ms, format_window
from sentry_alerts.render import plural

FORMATS = ("text", "json")
JSON_FORMAT_VERSION = 1


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def _offset(report: RehearsalReport, at: float) -> str:
    return "+" + k6_duration(max(0, round(at - report.start)) * 1000.0)


def rule_text(r: Rehearsal) -> str:
    rule = r.rule
    parts = [f"{rule.statistic} > {format_ms(rule.critical)} over "
             f"{format_window(r.spec.window_minutes)}"]
    if rule.warning is not None:
        parts.append(f"warning > {format_ms(rule.warning)}")
    parts.append(f"resolves below {format_ms(rule.all_clear_below())}")
    return ", ".join(parts) + f"; evaluated every {format_window(rule.every_s / 60)}"


def _change(t: Transition) -> str:
    if t.after == "ok":
        return "RESOLVED"
    if t.before == "ok":
        return f"FIRED {t.after}"
    return "ESCALATED to critical" if t.after == "critical" else "DOWN to warning"


def render_text(report: RehearsalReport) -> str:
    raw = report.raw
    lines = [
        f"Alert rehearsal for policy {report.policy}: {plural(raw.points, 'request')} in "
        f"{raw.path}, {_clock(report.start)} to {_clock(report.end)} UTC "
        f"({k6_duration(round(report.end - report.start) * 1000.0)}).",
        "Each alert is evaluated as Sentry would: its statistic over the trailing window, on "
        "the clock, until the last request has left the window (no traffic after the test).",
    ]
    for r in report.alerts:
        lines += ["", f"{r.spec.transaction}: alert when {rule_text(r)}"]
        lines += ["  " + line for line in _alert_lines(report, r)]
    notes = []
    if report.unmatched_groups:
        notes.append("not in the policy (ignored): " + ", ".join(report.unmatched_groups))
    if raw.skipped_lines:
        notes.append(f"{plural(raw.skipped_lines, 'line')} of {raw.path} could not be read and "
                     "were skipped")
    if notes:
        lines += ["", *(f"note: {n}" for n in notes)]
    fired = [r.spec.transaction for r in report.alerts if r.result.transitions]
    lines += ["", f"{len(fired)} of {plural(len(report.alerts), 'alert')} would have fired"
              + (f": {', '.join(fired)}." if fired else ".")]
    return "\n".join(lines) + "\n"


def _alert_lines(report: RehearsalReport, r: Rehearsal) -> list[str]:
    result = r.result
    if not r.requests:
        return ["no request in the raw output for this endpoint: nothing to replay."]
    stat = r.rule.statistic
    lines = [f"{plural(r.requests, 'request')}, {plural(result.evaluations, 'evaluation')}"
             + (f"; highest {stat}: {format_ms_measured(result.peak[0])} at "
                f"{_clock(result.peak[1])} ({_offset(report, result.peak[1])})"
                if result.peak else "")]
    for t in result.transitions:
        lines.append(f"{_clock(t.at)} ({_offset(report, t.at)})  {_change(t)}: {stat} = "
                     f"{format_ms_measured(t.value)} over "
                     f"{plural(t.requests, 'request')} in the window")
    if not result.transitions:
        lines.append("never fired.")
    elif result.status != "ok":
        left = result.data_left_window_at
        kept = (f"; the last request left the window at {_clock(left)} ({_offset(report, left)}), "
                "and with no more traffic Sentry keeps the alert open" if left else "")
        lines.append(f"still {result.status} at the end{kept}. It resolves once {stat} over the "
                     f"window falls below {format_ms(r.rule.all_clear_below())}.")
    return lines


def render_json(report: RehearsalReport) -> str:
    def event(t: Transition) -> dict[str, object]:
        return {"at": _iso(t.at), "offset_s": round(t.at - report.start, 3), "from": t.before,
                "to": t.after, "value_ms": t.value, "requests": t.requests}

    doc = {
        "format_version": JSON_FORMAT_VERSION,
        "policy": report.policy,
        "raw": {"path": report.raw.path, "requests": report.raw.points,
                "start": _iso(report.start), "end": _iso(report.end),
                "skipped_lines": report.raw.skipped_lines},
        "alerts": [{
            "transaction": r.spec.transaction,
            "key": r.spec.key,
            "statistic": r.rule.statistic,
            "window_minutes": r.spec.window_minutes,
            "every_s": r.rule.every_s,
            "critical_ms": r.rule.critical,
            "warning_ms": r.rule.warning,
            "resolve_ms": r.rule.resolve,
            "requests": r.requests,
            "evaluations": r.result.evaluations,
            "peak": ({"value_ms": r.result.peak[0], "at": _iso(r.result.peak[1])}
                     if r.result.peak else None),
            "events": [event(t) for t in r.result.transitions],
            "final_status": r.result.status,
        } for r in report.alerts],
        "unmatched_groups": report.unmatched_groups,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
