"""Pieces shared by the pages of both UIs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sentry_alerts.guide.markdown as md
from sentry_alerts.guide.values import FormValues
from sentry_alerts.model import EmailTarget, SlackTarget, format_ms, format_window

NONE_CELL = "—"


def per_variant(values: Sequence[FormValues], render: Callable[[FormValues], str]) -> str:
    """One rendering when all variants agree, else one per variant, labelled by its choice."""
    rendered = [render(v) for v in values]
    if len(set(rendered)) == 1:
        return rendered[0]
    return "; ".join(f"with **{v.variant.choice}**: {r}" for v, r in zip(values, rendered, strict=True))


def value_cell(values: Sequence[FormValues], render: Callable[[FormValues], str]) -> list[str]:
    return [md.cell(render(v)) for v in values]


def environment_value(v: FormValues) -> str:
    return md.code(v.alert.environment) if v.alert.environment else "**All Environments**"


def window_value(v: FormValues) -> str:
    # Both UIs' create pages set the window in their step 3; callers inside that step replace the
    # pointer with "(see below)".
    return f"**{v.window_label}**" if v.window_label else "*not offered* (see step 3)"


def change_table(changes: Sequence[tuple[str, object, object]], field_where: dict[str, str]
                 ) -> str:
    """A change page's table of differing fields: where in this UI, the live value, the policy's."""
    rows = [[md.cell(field_where.get(f, f)), md.cell(format_field_value(f, old)),
             md.cell(format_field_value(f, new))] for f, old, new in changes]
    return md.table(["Where", "Now in Sentry", "Change to"], rows) if rows else "No field differs."


def ms_code(ms: float | None) -> str:
    return f"{md.code(FormValues.number(ms) or '')} ms"


# When the policy names no Slack workspace, sentry-alerts uses the organisation's only one (and
# refuses to guess between several): the person must do the same.
ONLY_WORKSPACE = ("the only Slack workspace connected to Sentry (the policy names none; if "
                  "there are several, stop and ask for the workspace to be named in this "
                  "target of the policy)")


def workspace_text(target: SlackTarget) -> str:
    if target.workspace:
        return md.code(target.workspace)
    return ONLY_WORKSPACE


def recipient_text(target: SlackTarget | EmailTarget) -> str:
    if isinstance(target, SlackTarget):
        return md.code(target.channel)
    kind = "Team" if target.to == "team" else "Member"
    return f"{kind} {md.code(target.name)}"


def notifications_table(values: FormValues) -> str:
    rows = []
    for i, target in enumerate(values.alert.targets, start=1):
        if isinstance(target, SlackTarget):
            rows.append([
                str(i), "**Slack**", md.cell(workspace_text(target)), md.code_cell(target.channel),
                md.code_cell(target.channel_id) if target.channel_id else NONE_CELL,
            ])
        else:
            rows.append([str(i), "**Email**", NONE_CELL, md.cell(recipient_text(target)), NONE_CELL])
    if not rows:
        return ("The policy names no notification target for this alert: it will notify nobody. "
                "Add `notify:` to the policy if that is not intended.")
    return md.table(["#", "Action", "Slack workspace", "Channel or recipient", "Channel ID"], rows)


def describe_goal(values: FormValues, spec_transaction: str) -> str:
    a = values.alert
    parts = [
        f"Notify when the **{values.function}** duration of transaction {md.code(spec_transaction)} "
        f"in project {md.code(a.project or '')} over **{format_window(a.window_minutes)}** is above "
        f"**{format_ms(a.critical_ms)}**"
    ]
    if a.warning_ms is not None:
        parts.append(f" (warning above **{format_ms(a.warning_ms)}**)")
    return "".join(parts) + "."


def format_field_value(field: str, value: object) -> str:
    """A plan's old/new value in the policy's terms, as inline Markdown."""
    if value is None or value == "" or value == ():
        return "*(empty)*"
    if isinstance(value, str):  # a plan's FieldChange: already in the policy's terms
        return md.code(value.replace("\n", " "))
    if field in ("critical_ms", "warning_ms", "resolve_ms"):
        return md.code(format_ms(value))  # type: ignore[arg-type]
    if field == "window_minutes":
        return md.code(format_window(value))  # type: ignore[arg-type]
    if field == "targets":
        return ", ".join(md.code(t.describe()) for t in value)  # type: ignore[attr-defined]
    if field == "description":
        return md.code(str(value).replace("\n", " "))
    return md.code(str(value))
