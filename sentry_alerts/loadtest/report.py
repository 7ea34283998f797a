"""The load test's verdict as text (a terminal, a CI log), Markdown (a pull-request comment) or
JSON (`format_version` 1, for other tools). All three read the same `Verification`.

The Markdown starts with a hidden marker, `<!-- sentry-alerts-loadtest: POLICY -->`, that stays
the same from run to run, so a CI job can find and update its previous comment; every name goes
through the guide's escaping helpers, so a transaction name cannot break the table.
"""

from __future__ import annotations

import json

from sentry_alerts.guide.markdown import code, code_cell, table, text
from sentry_alerts.loadtest.verify import (
    EndpointVerdict,
    Verification,
    format_ms_measured,
    format_rate,
)
from sentry_alerts.model import format_ms
from sentry_alerts.render import plural

FORMATS = ("text", "markdown", "json")
JSON_FORMAT_VERSION = 1
MARKER_PREFIX = "<!-- sentry-alerts-loadtest:"
COLUMNS = ["Endpoint", "SLA", "Measured", "Margin", "Result", "Requests", "Errors", "Alert"]
RESULT_WORD = {"pass": "PASS", "fail": "FAIL", "no-sla": "no SLA"}


def render_verification(v: Verification, fmt: str) -> str:
    if fmt == "markdown":
        return render_markdown(v)
    if fmt == "json":
        return json.dumps(to_json(v), indent=2, sort_keys=True) + "\n"
    return render_text(v)


def verdict(v: Verification) -> str:
    """'2 endpoints kept their SLA.' or '1 of 2 endpoints failed: GET /a.'"""
    n = len(v.endpoints)
    if v.ok:
        judged = sum(e.result == "pass" for e in v.endpoints)
        return (f"{plural(judged, 'endpoint')} kept {'its' if judged == 1 else 'their'} SLA"
                + (f" ({n - judged} without an SLA)" if judged < n else "") + ".")
    failed = v.failed
    return (f"{len(failed)} of {plural(n, 'endpoint')} failed: "
            + ", ".join(e.transaction for e in failed) + ".")


def verdict_line(v: Verification) -> str:
    return ("PASSED: " if v.ok else "FAILED: ") + verdict(v)


def _cells(e: EndpointVerdict) -> list[str]:
    sla = f"{e.sla_statistic} < {format_ms(e.sla_ms)}" if e.sla_ms is not None else "none"
    measured = format_ms_measured(e.measured_ms) if e.measured_ms is not None else "—"
    if e.sla_ms is None and e.alert_measured_ms is not None:
        measured = f"{e.alert_statistic} {format_ms_measured(e.alert_measured_ms)}"
    margin = e.margin_ms
    margin_text = "—" if margin is None else (
        ("+" if margin > 0 else "-" if margin < 0 else "±") + format_ms_measured(abs(margin)))
    requests = "—" if e.requests is None else f"{e.requests:,}"
    errors = "—" if e.error_rate is None else format_rate(e.error_rate)
    alert = f"{e.alert_statistic} > {format_ms(e.alert_critical_ms)} over {e.alert_window}"
    if e.alert_measured_ms is not None and e.alert_measured_ms > e.alert_critical_ms:
        alert += " (measured above it)"
    return [e.transaction, sla, measured, margin_text, RESULT_WORD[e.result], requests, errors,
            alert]


def render_text(v: Verification) -> str:
    rows = [COLUMNS, *(_cells(e) for e in v.endpoints)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [f"Load test verdict for policy {v.policy} (summary {v.summary.path}, "
             f"{v.summary.shape} format)", ""]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     .rstrip())
    details = [f"FAIL  {e.transaction}: {reason}" for e in v.endpoints for reason in e.reasons]
    details += [f"note  {e.transaction}: {note}" for e in v.endpoints for note in e.notes]
    details += _general_notes(v)
    if details:
        lines += ["", *details]
    lines += ["", verdict_line(v)]
    return "\n".join(lines) + "\n"


def _general_notes(v: Verification) -> list[str]:
    notes = []
    if v.skipped:
        notes.append("note  not load-tested (skip: true): " + ", ".join(v.skipped))
    if v.unknown_groups:
        notes.append("note  the summary also measured groups the policy does not name: "
                     + ", ".join(v.unknown_groups))
    return notes


def comment_marker(v: Verification) -> str:
    return f"{MARKER_PREFIX} {v.policy} -->"


def render_markdown(v: Verification) -> str:
    icon = "✅" if v.ok else "❌"
    rows = []
    for e in v.endpoints:
        cells = _cells(e)
        result = {"pass": "✅ PASS", "fail": "❌ FAIL", "no-sla": "— no SLA"}[e.result]
        rows.append([code_cell(e.transaction), *(text(c) for c in cells[1:4]), result,
                     *(text(c) for c in cells[5:])])
    lines = [comment_marker(v), f"### {icon} Load test: {text(verdict(v))}", "",
             table(COLUMNS, rows), ""]
    reasons = [f"- {code(e.transaction)}: {text(r)}" for e in v.endpoints for r in e.reasons]
    if reasons:
        lines += ["**Why it failed**", "", *reasons, ""]
    notes = [f"- {code(e.transaction)}: {text(n)}" for e in v.endpoints for n in e.notes]
    notes += [f"- {text(n.removeprefix('note  '))}" for n in _general_notes(v)]
    if notes:
        lines += ["**Notes**", "", *notes, ""]
    lines.append(f"<sub>Policy {code(v.policy)} · summary {code(v.summary.path)} "
                 f"({text(v.summary.shape)}) · margin = SLA − measured · "
                 "`sentry-alerts loadtest verify`</sub>")
    return "\n".join(lines) + "\n"


def to_json(v: Verification) -> dict[str, object]:
    return {
        "format_version": JSON_FORMAT_VERSION,
        "policy": v.policy,
        "summary": {"path": v.summary.path, "shape": v.summary.shape},
        "ok": v.ok,
        "endpoints": [{
            "transaction": e.transaction,
            "key": e.key,
            "group": e.group,
            "result": e.result,
            "sla": ({"statistic": e.sla_statistic, "ms": e.sla_ms} if e.sla_ms is not None
                    else None),
            "measured_ms": e.measured_ms,
            "margin_ms": e.margin_ms,
            "requests": e.requests,
            "error_rate": e.error_rate,
            "max_error_rate": e.max_error_rate,
            "alert": {"statistic": e.alert_statistic, "critical_ms": e.alert_critical_ms,
                      "window": e.alert_window, "measured_ms": e.alert_measured_ms},
            "reasons": e.reasons,
            "notes": e.notes,
        } for e in v.endpoints],
        "skipped": v.skipped,
        "unknown_groups": v.unknown_groups,
    }
