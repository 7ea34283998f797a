"""The continuous monitoring plan: the document an ops team reviews next to its runbooks.

    render_monitoring_plan(policy, source=...) -> str   (pure, deterministic)

It says which transactions are monitored and why, their SLAs, the alert thresholds and windows,
who is notified where, the reasoning behind those choices, and per alert what to do when it
fires. Every alert value comes from `model.desired_alert`, like `apply` and the manual guide.
The output has no timestamp (only the policy's content hash), so a committed copy can be
checked for staleness by regenerating it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sentry_alerts.guide import markdown as md
from sentry_alerts.model import (
    AlertSpec,
    desired_alert,
    format_ms,
    format_targets,
    format_window,
)

DEFAULT_OUT = Path("docs/performance/continuous-monitoring-plan.md")
# The guide and plan show the span form by default: it is what `apply` picks on any Sentry that
# accepts span alerts (sentry.io and self-hosted 26.7+); the other datasets use the same values.
DOCUMENT_DATASET = "spans"

STAT_WORDS = {
    "p50": "the median (p50)", "p75": "the 75th percentile (p75)",
    "p90": "the 90th percentile (p90)", "p95": "the 95th percentile (p95)",
    "p99": "the 99th percentile (p99)", "avg": "the average", "max": "the maximum",
}


def window_words(minutes: float) -> str:
    """5 -> '5 minutes', 60 -> '1 hour', 1440 -> '24 hours'."""
    m = int(minutes)
    if m >= 60 and m % 60 == 0:
        h = m // 60
        return f"{h} hour{'s' if h != 1 else ''}"
    return f"{m} minute{'s' if m != 1 else ''}"


def _dataset_for(spec: AlertSpec) -> str:
    return spec.dataset if spec.dataset != "auto" else DOCUMENT_DATASET


def _owner(owner: str | None) -> str:
    if not owner:
        return "none"
    kind, _, name = owner.partition(":")
    return f"{'team' if kind == 'team' else 'user'} {md.code(name)}"


def _sla(spec: AlertSpec) -> str:
    if spec.sla_ms is None:
        return "none"
    return f"{spec.sla_statistic or spec.statistic} < {format_ms(spec.sla_ms)}"


def _ratio(spec: AlertSpec) -> str:
    if not spec.sla_ms:
        return ""
    r = spec.critical_ms / spec.sla_ms
    return f" ({md.plain_number(round(r, 2))}× the SLA)"


def _summary_table(specs: tuple[AlertSpec, ...]) -> str:
    rows = []
    for n, spec in enumerate(specs, start=1):
        a = desired_alert(spec, _dataset_for(spec))
        rows.append([
            str(n), md.code_cell(spec.transaction), md.code_cell(spec.project),
            md.code_cell(spec.environment) if spec.environment else "all",
            md.text(_sla(spec)),
            md.text(f"{spec.statistic} > {format_ms(a.critical_ms)}"),
            format_ms(a.warning_ms) if a.warning_ms is not None else "—",
            format_ms(a.resolve_ms) if a.resolve_ms is not None else "automatic",
            format_window(a.window_minutes),
            md.text(format_targets(a.targets)),
            md.cell(_owner(a.owner)),
            f"[runbook]({spec.runbook})" if spec.runbook else "—",
        ])
    return md.table(["#", "Transaction", "Project", "Environment", "SLA", "Alert when",
                     "Warning", "Resolves below", "Window", "Notified", "Owner", "Runbook"], rows)


def _statistics_sentence(specs: tuple[AlertSpec, ...]) -> str:
    used = sorted({s.statistic for s in specs}, key=lambda st: list(STAT_WORDS).index(st)
                  if st in STAT_WORDS else 99)
    names = ", ".join(md.code(st) for st in used) or "none"
    text = f"Statistic{'s' if len(used) != 1 else ''} used: {names}. "
    if any(st.startswith("p") for st in used):
        text += ("A percentile such as p95 means 5% of requests were slower: unlike the average "
                 "it does not hide a slow tail, and unlike p99 it stays stable at moderate "
                 "traffic.")
    else:
        text += "Percentiles (p95) would show the slow tail that averages hide."
    return text


def _rationale(specs: tuple[AlertSpec, ...]) -> list[str]:
    windows = sorted({s.window_minutes for s in specs})
    window_text = ", ".join(format_window(w) for w in windows)
    short = [s for s in specs if s.window_minutes < 5]
    out = [
        "## Why these alerts look the way they do",
        "",
        "- **Alert on the symptom users feel.** Each alert watches the duration of the "
        "transaction itself, as its users experience it, not a cause such as CPU or database "
        "load (causes are what the first checks below look at). "
        + _statistics_sentence(specs),
        "- **Thresholds above the SLA.** The SLA is the objective; the alert fires only when "
        "the statistic is clearly beyond it, so that a page means users are suffering now, not "
        "that the objective wobbled. SLA compliance over time is reviewed separately (load "
        "tests, dashboards).",
        f"- **Windows that avoid false alarms ({window_text}).** Sentry recomputes the statistic "
        "over the trailing window every minute. One slow minute does not fill a 5-minute "
        "window, so short spikes do not page anyone, while a sustained slowdown alerts within "
        "about one window. Span-based alerts cannot use windows under 5 minutes.",
        "- **Resolve thresholds give hysteresis.** Where a resolve threshold is set (usually "
        "the SLA), an alert closes only once the statistic is back under it, so it does not "
        "flap open and closed around the alert threshold.",
        "- **Low traffic makes percentiles noisy.** With few requests per window a single slow "
        "request moves p95. For low-traffic transactions prefer a longer window over a lower "
        "threshold.",
        "",
    ]
    if short:
        out += ["> **Note:** " + ", ".join(md.code(s.transaction) for s in short)
                + " use a window under 5 minutes; span-based alerts do not offer it and such "
                "windows page on short spikes. `sentry-alerts validate` warns about it.", ""]
    return out


def _action_plan(n: int, spec: AlertSpec, source: str) -> list[str]:
    a = desired_alert(spec, _dataset_for(spec))
    window = window_words(a.window_minutes)
    fires = f"{STAT_WORDS.get(spec.statistic, spec.statistic)} of the duration over {window} " \
            f"is above {format_ms(a.critical_ms)}"
    resolves = (f"when it is back below {format_ms(a.resolve_ms)}" if a.resolve_ms is not None
                else "when it is back at or below the alert threshold")
    line = f" (line {spec.source[1]})" if spec.source else ""
    out = [
        f"### {n}. {md.text(spec.transaction)}",
        "",
        f"- **Alert in Sentry:** {md.code(a.name)} (project {md.code(a.project or '')}, "
        + (f"environment {md.code(a.environment)}" if a.environment else "all environments")
        + ").",
        f"- **Why it is monitored:** it is one of the transactions of policy "
        f"{md.code(spec.policy)}"
        + (f", with the objective {_sla(spec)}" if spec.sla_ms is not None else "")
        + "; when it is slow, its users wait.",
        f"- **Fires when** {fires}{_ratio(spec)}"
        + (f"; warns above {format_ms(a.warning_ms)}" if a.warning_ms is not None else "")
        + f"; **resolves** {resolves}.",
        f"- **Sentry query:** {md.code(a.aggregate)} where {md.code(a.query)}.",
        f"- **Notified:** {format_targets(a.targets)}. **Owner:** {_owner(a.owner)}.",
        "",
        "**When it fires**",
        "",
        "1. **First checks** (aim for 10 minutes):",
        "   - Open the alert from the notification: is only this transaction slow, or are other "
        "monitored transactions firing too (a shared cause: database, network, host)?",
        f"   - Look for a deploy or configuration change in project {md.code(a.project or '')} "
        "just before the alert started (Sentry **Releases**); if one matches, consider rolling "
        "it back first.",
        f"   - Open a few slow traces of {md.code(spec.transaction)} in Sentry (filter "
        f"{md.code(a.query)}): where does the time go: database queries, calls to other "
        "services, or the code itself?",
        "   - Check the traffic: a jump in throughput or in errors at the same time points at "
        "load or at a failing dependency.",
    ]
    if a.owner:
        out.append(f"2. **Escalation:** if the cause is not found or the alert is not resolving "
                   f"within 30 minutes, escalate to the owner, {_owner(a.owner)}, in "
                   f"{format_targets(a.targets)}.")
    else:
        out.append("2. **Escalation:** the policy names no owner for this alert; add `owner:` "
                   "to it so that escalation has a name.")
    if spec.runbook:
        out.append(f"3. **Runbook:** <{spec.runbook}>.")
    else:
        out.append("3. **Runbook:** none yet; add `runbook:` to this transaction in the "
                   "policy.")
    out.append(
        "4. **Silence or change it:** for planned maintenance, mute the alert in Sentry from "
        "its page, and unmute it afterwards. To change a threshold, the window or who is "
        f"notified, or to remove the alert, edit {md.code(source)}{line} and open a pull "
        "request; the CI plan shows the change for review, and it is applied on merge. Do not "
        "edit the alert in Sentry: sentry-alerts overwrites such edits.")
    return out + [""]


def render_monitoring_plan(policy: Any, *, source: str) -> str:
    """The monitoring plan for `policy` (a `policy.Policy`). `source` is the policy path as
    people should see it (e.g. `policies/critical-endpoints.yaml`)."""
    specs = tuple(policy.specs)
    digest = str(getattr(policy, "content_hash", "")).removeprefix("sha256:")[:12]
    org = getattr(policy, "organization", None)
    out = [
        "<!-- generated by `sentry-alerts monitoring-plan`; edit the policy, not this file -->",
        "",
        f"# Continuous monitoring plan: {md.text(policy.name)}",
        "",
        f"Generated from {md.code(source)}"
        + (f" (content sha256 {md.code(digest)})" if digest else "")
        + f" with `sentry-alerts monitoring-plan {source}`. Do not edit it by hand: change the "
        "policy and regenerate; CI fails when this copy is out of date.",
        "",
        (f"Sentry organisation {md.code(org)}. " if org else "")
        + f"{len(specs)} transaction{'s' if len(specs) != 1 else ''} monitored. Alerts are "
        "kept in code: `sentry-alerts apply` creates them, and people without API access follow "
        "the manual guide (`sentry-alerts guide`) with the same values.",
        "",
        "## What is monitored",
        "",
        _summary_table(specs) if specs else "Nothing yet: the policy lists no transaction.",
        "",
        "Durations are in milliseconds of the transaction's duration in Sentry (spans with "
        "`is_transaction:true`, or the transactions dataset on older servers). An alert fires "
        "when the statistic over the window is above the alert threshold.",
        "",
    ]
    out += _rationale(specs)
    out += ["## Action plan per alert", ""]
    for n, spec in enumerate(specs, start=1):
        out += _action_plan(n, spec, source)
    return "\n".join(out).rstrip("\n") + "\n"


def display_path(path: str | Path) -> str:
    """The path as people should read it: relative to the working directory when inside it."""
    p = Path(path)
    if p.is_absolute() or ".." in p.parts:
        with contextlib.suppress(ValueError):
            p = p.resolve().relative_to(Path.cwd().resolve())
    return p.as_posix()


def write_monitoring_plan(policy: Any, out: str | Path, *, source: str) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_monitoring_plan(policy, source=source), encoding="utf-8")
    return path
