"""The terminal view of a plan and of an apply, Terraform-style.

    + create   a new alert (every value listed)
    ~ update   field: old → new, only the fields that change
    - delete   (pruning only)
    ! conflict an alert with the same name that this policy does not manage
      orphan / duplicate: reported and kept

Plain text; ANSI colour only when asked (the CLI asks when stdout is a terminal and NO_COLOR
is not set): actions in their colour, changed values old in red and new in green, the summary
line in bold, as Terraform does. Names, values and messages from Sentry may hold control or
bidi characters: they are shown as escapes (visible_text.py), never sent to the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sentry_alerts.diff import FIELD_LABELS, format_field
from sentry_alerts.model import Alert, query_for
from sentry_alerts.plan_data import Change, Plan
from sentry_alerts.render import kept_counts, plural
from sentry_alerts.visible_text import visible

if TYPE_CHECKING:  # renderers read apply results; apply never imports a renderer
    from sentry_alerts.apply import ApplyResult, Outcome

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "conflict": "!", "orphan": " ",
           "duplicate": " ", "unchanged": " "}
_COLOURS = {"create": "32", "update": "33", "delete": "31", "conflict": "31", "orphan": "2",
            "duplicate": "2", "ok": "32", "failed": "31", "skipped": "33", "not sent": "33",
            "summary": "1", "old": "31", "new": "32"}


# Shown over several lines; in every other field a line break is shown as `\n` (a name from
# Sentry holding one must not fake a line of the plan).
MULTI_LINE = frozenset({"description"})


def _paint(text: str, what: str, color: bool) -> str:
    code = _COLOURS.get(what)
    return f"\033[{code}m{text}\033[0m" if color and code else text


def _reason(reason: str, subject: str) -> str:
    """Reasons may repeat their subject ("monitors: this server ..."); say it once."""
    reason = reason.strip()
    return reason[len(subject) + 1:].strip() if reason.startswith(subject + ":") else reason


def header_lines(plan: Plan) -> list[str]:
    """Where the plan was made: policy, org, backend and dataset, each with its reason; then
    the alerts whose transaction asks for another dataset than the policy's."""
    desired = [c.desired for c in plan.changes if c.desired is not None]
    own: dict[str, list[Alert]] = {}  # dataset -> the alerts on it, where not the policy's
    for a in desired:
        if a.dataset != plan.dataset:
            own.setdefault(a.dataset, []).append(a)
    aggregates = sorted({a.aggregate for a in desired if a.dataset == plan.dataset}) or \
        ["(no alert uses it)" if desired else "(no alerts)"]
    backend_reason = _reason(plan.backend_reason, plan.backend)
    lines = [
        f"Policy {plan.policy_name} ({plan.policy_path}) → org {plan.org} at {plan.url}",
        f"Using {plan.backend}" + (f" ({backend_reason})" if backend_reason else "")
        + f"; dataset {plan.dataset}: {', '.join(aggregates)} where "
        f"{query_for('…', plan.dataset)}",
    ]
    if plan.dataset_reason:
        lines.append(f"Why {plan.dataset}: {_reason(plan.dataset_reason, 'auto')}")
    if own:
        lines.append("Per-transaction dataset: " + "; ".join(
            f"{dataset} for {plural(len(alerts), 'alert')}: "
            f"{', '.join(sorted({a.aggregate for a in alerts}))} where {query_for('…', dataset)}"
            for dataset, alerts in sorted(own.items())))
    return lines


def _title(change: Change) -> str:
    rid = f"  (id {change.remote_id})" if change.remote_id else ""
    return f"{change.action} {change.key}  \"{visible(change.name)}\"{rid}"


def _value_lines(label: str, text: str, indent: str) -> list[str]:
    first, *rest = visible(text, lines=True).split("\n")
    pad = " " * (len(label) + 2)
    return [f"{indent}{label}: {first}"] + [f"{indent}{pad}{line}" for line in rest]


def _alert_lines(alert: Alert, indent: str) -> list[str]:
    width = max(len(v) for v in FIELD_LABELS.values())
    lines: list[str] = []
    for name, label in FIELD_LABELS.items():
        if name in ("name", "enabled"):
            continue  # the name is in the title; a new alert is always enabled
        value = visible(format_field(name, getattr(alert, name)), lines=name in MULTI_LINE)
        first, *rest = value.split("\n")
        lines.append(f"{indent}{label:<{width}}  {first}")
        lines.extend(f"{indent}{'':<{width}}  {line}" for line in rest)
    return lines


def change_lines(change: Change, *, color: bool = False) -> list[str]:
    indent = "      "
    head = _paint(f"{SYMBOLS[change.action]} {_title(change)}", change.action, color)
    lines = [head]
    if change.action == "create" and change.desired:
        lines += _alert_lines(change.desired, indent)
    elif change.action == "update":
        for f in change.fields:
            label = FIELD_LABELS.get(f.field, f.field)
            if f.field in MULTI_LINE and ("\n" in f.old or "\n" in f.new):
                lines.append(f"{indent}{label}:")
                lines += [_paint(line, "old", color)
                          for line in _value_lines("was", f.old, indent + "  ")]
                lines += [_paint(line, "new", color)
                          for line in _value_lines("now", f.new, indent + "  ")]
            else:
                lines.append(f"{indent}{label}: {_paint(visible(f.old), 'old', color)} → "
                             f"{_paint(visible(f.new), 'new', color)}")
    if change.note:
        lines.append(f"{indent}{visible(change.note)}")
    return lines


def summary_line(plan: Plan) -> str:
    s = plan.summary()
    line = (f"Plan: {s['create']} to create, {s['update']} to update, {s['delete']} to delete, "
            f"{s['unchanged']} unchanged")
    kept = kept_counts(s)
    return line + ("; " + ", ".join(kept) if kept else "") + "."


def render_plan(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as text, ending with the summary line."""
    lines = header_lines(plan)
    if not plan.listing_complete:
        problems = visible("; ".join(plan.listing_problems) or "a page of the listing failed")
        lines += ["", _paint(f"Warning: the list of live alerts is incomplete ({problems}); "
                             "this plan may be wrong.", "failed", color)]
        if plan.prune:  # issue 5: never delete after a partial listing
            lines.append(_paint("Pruning was skipped: nothing is deleted when the listing is "
                                "incomplete (a missing page may hold what makes other alerts "
                                "look like orphans); they are listed as orphans.", "failed",
                                color))
    order = ("create", "update", "delete", "conflict", "orphan", "duplicate")
    shown = [c for action in order for c in plan.changes if c.action == action]
    for change in shown:
        lines.append("")
        lines += change_lines(change, color=color)
    lines.append("")
    if not plan.has_changes:
        lines.append("No changes: the live alerts match the policy.")
    lines.append(_paint(summary_line(plan), "summary", color))
    return "\n".join(lines) + "\n"


# --- apply ----------------------------------------------------------------------------------


def outcome_line(outcome: Outcome, *, color: bool = False) -> str:
    c = outcome.change
    mark = {"created": "✓", "updated": "✓", "deleted": "✓", "failed": "✗", "skipped": "!",
            "not sent": "-"}
    what = "ok" if outcome.ok else outcome.status
    text = f"{mark[outcome.status]} {c.action} {c.key}  \"{visible(c.name)}\": "
    if outcome.status == "failed":
        text += "failed: "
    return _paint(text, what, color) + visible(outcome.message)


def apply_summary(result: ApplyResult, *, color: bool = False) -> str:
    """The last line(s) of an apply: what was done and what was not, and what to do next."""
    counts = (f"{result.count('created')} created, {result.count('updated')} updated, "
              f"{result.count('deleted')} deleted")
    if result.ok:
        return _paint(f"Apply complete: {counts}.", "summary", color)
    problems = []
    if result.failed:
        problems.append(f"{len(result.failed)} failed")
    if result.not_sent:
        problems.append(f"{len(result.not_sent)} not sent")
    if result.skipped:
        problems.append(plural(len(result.skipped), "conflict") + " not applied")
    if result.interrupted:
        return (_paint(f"Apply interrupted: {counts}; {', '.join(problems) or 'nothing left'}.",
                       "summary", color)
                + " What was done stays applied; nothing else was sent. Run apply again to "
                "continue: it plans from the live state.")
    return (_paint(f"Apply incomplete: {counts}; {', '.join(problems)}.", "summary", color)
            + " What succeeded stays applied; fix the causes above and run apply again: it "
            "continues from where this one stopped.")


__all__ = ["FIELD_LABELS", "apply_summary", "change_lines", "header_lines",
           "outcome_line", "render_plan", "summary_line"]
