"""Pages for the new "Monitors & Alerts" UI: a Metric Monitor plus an Alert that posts to Slack.

Labels are Sentry's own (`t('…')` strings of the frontend), as collected in
../shared/reference/sentry-ui-and-sdk-notes.md §3; see docs/guides.md for sources.
Mapping from the policy's terms: critical ≈ **High priority**, warning ≈ **Medium priority**,
resolve ≈ **Resolve** → **Custom** → **Less than**, window ≈ **Interval**.
"""

from __future__ import annotations

from collections.abc import Sequence

import sentry_alerts.guide.markdown as md
from sentry_alerts.guide.common import (
    ONLY_WORKSPACE,
    change_table,
    describe_goal,
    environment_value,
    ms_code,
    notifications_table,
    window_value,
)
from sentry_alerts.guide.values import FormValues, notification_alert_name
from sentry_alerts.model import AlertSpec, EmailTarget, SlackTarget

OPEN_MONITORS = "In Sentry, open **Monitors** in the navigation."


def _owner(v: FormValues) -> str:
    owner = v.owner
    if owner is None:
        return "leave empty"
    kind, name = owner
    return f"{'team' if kind == 'team' else 'member'} {md.code(name)}"


def values_table(v: FormValues, alert_name: str) -> str:
    a = v.alert
    rows = [
        ["Monitor name", md.code_cell(a.name)],
        ["Project", md.code_cell(a.project or "")],
        ["Environment", md.cell(environment_value(v))],
        ["Dataset", f"**{md.text(v.variant.choice)}**"],
        ["Function", md.code_cell(v.function)],
        ["Attribute", md.code_cell(v.attribute)],
        ["Filter", md.code_cell(a.query)],
        ["Interval", md.cell(window_value(v))],
        ["High priority", md.cell(f"**Above** {ms_code(a.critical_ms)}")],
        ["Medium priority", md.cell(f"**Above** {ms_code(a.warning_ms)}")
         if a.warning_ms is not None else "leave empty"],
        ["Resolve", md.cell(f"**Custom**: **Less than** {ms_code(a.resolve_ms)}")
         if a.resolve_ms is not None else "**Default**"],
        ["Default assignee", md.cell(_owner(v))],
        ["Description", "the block under *Description to paste*"],
        ["Alert name", md.code_cell(alert_name) if a.targets
         else "none (no notification target: connect no alert)"],
    ]
    return md.table(["Field", "Value"], rows)


def _slack_lines(v: FormValues) -> list[str]:
    lines = []
    for target in v.alert.targets:
        if isinstance(target, SlackTarget):
            ws = (f"workspace {md.code(target.workspace)}" if target.workspace else
                  ONLY_WORKSPACE)
            line = f"**Slack**: {ws}, channel {md.code(target.channel)}"
            if target.channel_id:
                line += f", channel ID {md.code(target.channel_id)}"
            lines.append(line + ".")
        elif isinstance(target, EmailTarget):
            kind = "**Team**" if target.to == "team" else "**Member**"
            lines.append(f"**Email**: {kind} {md.code(target.name)}.")
    return lines


def create_page(spec: AlertSpec, values: Sequence[FormValues], *, nav: str) -> str:
    v = values[0]
    a = v.alert
    alert_name = notification_alert_name(spec.policy, a.targets)
    out: list[str] = [
        f"# {md.text(a.name)}: Monitors & Alerts (new UI)",
        "",
        nav,
        "",
        describe_goal(v, spec.transaction) + f" Policy {md.code(spec.policy)}, key "
        f"{md.code(spec.key)}.",
        "",
        "Use this page if your organisation has the new **Monitors & Alerts** UI (**Monitors** in "
        "the navigation; see the index). You create a **Metric Monitor** (it opens an issue when "
        "the threshold is crossed) and connect it to an **Alert** (it posts to Slack). **Bold** "
        "text is a label you see in Sentry; `code` is a value to type or pick exactly as shown.",
        "",
        "## Values to copy",
        "",
        values_table(v, alert_name),
        "",
        "Notifications of the Alert:",
        "",
        notifications_table(v),
        "",
        "### Description to paste",
        "",
        "Paste all lines, unchanged: the last one is the ownership marker by which sentry-alerts "
        "recognises this monitor as its own.",
        "",
        md.fenced(a.description),
        "",
        "## Steps",
        "",
    ]
    steps: list[str] = []
    steps.append(f"**Start a monitor.** {OPEN_MONITORS} Click **Create Monitor**. Under **Select "
                 "monitor type** pick **Metric**, then click **Next**.")
    steps.append("\n".join([
        "**Name, project, environment** (top of the form).",
        f"   - Click the name (placeholder **New Monitor**) and type {md.code(a.name)}.",
        f"   - **Project**: {md.code(a.project or '')}.",
        f"   - **Environment**: {environment_value(v)}.",
    ]))
    metric = [
        "**Choose Your Metric.** Leave the template empty (or pick **Duration**, then check the "
        "values below), and under **Customize Metric** set:",
        f"   - **Dataset**: **{md.text(v.variant.choice)}**.",
        f"   - **Interval**: {window_value(v).replace('(see step 3)', '(see below)')}.",
        f"   - **Visualize**: {md.code(v.function)} of {md.code(v.attribute)}.",
        f"   - **Filter (optional)**: paste {md.code(a.query)} (whole, quotes included) and press "
        "Enter.",
    ]
    if v.window_label is None:
        metric.append(
            f"   - There is no {v.window_minutes}-minute interval for span monitors (the smallest "
            "is 5 minutes). The policy should use `window: 5m` or more (`sentry-alerts validate` "
            "warns about this); change it and generate the guide again rather than picking "
            "another interval.")
    if v.variant.choice == "Transactions":
        metric.append(
            "   - If **Transactions** is not offered, new transaction monitors are retired here: "
            "set the policy's `dataset:` to `auto` and generate the guide again.")
    steps.append("\n".join(metric))
    detect = [
        "**Issue Detection.** Pick **Threshold**. Under **An issue will be created when query "
        "value is:**",
        f"   - **High priority**: **Above**, {ms_code(a.critical_ms)} (type the number only; the "
        "unit is ms).",
    ]
    if a.warning_ms is not None:
        detect.append(f"   - **Medium priority**: **Above**, {ms_code(a.warning_ms)}.")
    else:
        detect.append("   - **Medium priority**: leave empty.")
    if a.resolve_ms is not None:
        detect.append(f"   - **Resolve**: **Custom**, then **Less than**, {ms_code(a.resolve_ms)}.")
    else:
        detect.append("   - **Resolve**: **Default** (resolves when the value is back below the "
                      "threshold).")
    steps.append("\n".join(detect))
    owner = v.owner
    if owner is None:
        steps.append("**Assign.** Leave **Default assignee** empty (the policy names no owner).")
    else:
        kind = "team" if owner[0] == "team" else "member"
        steps.append(f"**Assign.** **Default assignee**: the {kind} {md.code(owner[1])}.")
    steps.append("**Description.** Paste the block under *Description to paste* into "
                 "**Description**.")
    slack = _slack_lines(v)
    if slack:
        steps.append("\n".join([
            f"**Alert** (notifications). If you already created the alert {md.code(alert_name)} "
            "for another monitor of this guide, click **Connect Existing Alerts**, select it, "
            "and go to the next step. Otherwise click **Create New Alert** and fill the drawer:",
            "   - **Source** (if the drawer asks): **Alert on specific monitors**, with this "
            "monitor.",
            "   - **When**: **A new issue is created**; also add **An issue is resolved**, so the "
            "channel hears when it recovers.",
            *[f"   - **Then**: {line}" for line in slack],
            f"   - **Alert Name**: {md.code(alert_name)} (all of it: the part in parentheses tells "
            "sentry-alerts this alert delivers its monitors' notifications).",
            "   - Click **Create Alert**.",
        ]))
    else:
        steps.append("**Alert.** The policy names no notification target: connect no alert.")
    steps.append("Click **Create Monitor**.")
    check = [
        "**Check it worked.**",
        f"   - {OPEN_MONITORS} The list shows {md.code(a.name)}.",
    ]
    if slack:
        check.append(f"   - Open **Monitors** → **Alerts**, open {md.code(alert_name)} and click "
                     "**Send Test Notification**: the message arrives in "
                     + ", ".join(md.code(t.channel) for t in v.slack_targets) + ".")
    check.append("   - If someone later runs `sentry-alerts plan` with an API token, it lists this "
                 "monitor as unchanged (it recognises it by the marker in the description).")
    steps.append("\n".join(check))
    out += [f"{i}. {s}" for i, s in enumerate(steps, start=1)]
    out.append("")
    return "\n".join(out)


FIELD_WHERE = {
    "name": "the monitor's name (top of the form)",
    "project": "**Project**",
    "environment": "**Environment** (**All Environments** means none)",
    "dataset": "**Dataset** (cannot be changed on an existing monitor: delete it and follow the "
               "create page)",
    "aggregate": "**Visualize**",
    "query": "**Filter (optional)** (replace the whole filter)",
    "window_minutes": "**Interval**",
    "critical_ms": "**High priority** threshold",
    "warning_ms": "**Medium priority** threshold (empty = none)",
    "resolve_ms": "**Resolve** (**Custom** → **Less than**; none = **Default**)",
    "targets": "the connected **Alert**'s **Then** actions (Slack channels, email)",
    "owner": "**Assign** → **Default assignee**",
    "description": "**Description** (replace the whole text)",
    "enabled": "the monitor's **Enabled** toggle (top right of its page)",
}


def change_page(spec: AlertSpec, values: FormValues, changes: Sequence[tuple[str, str, str]],
                *, live_name: str, nav: str, conflict: bool) -> str:
    a = values.alert
    out = [
        f"# {md.text(a.name)}: change the existing monitor (Monitors & Alerts, new UI)",
        "",
        nav,
        "",
        (f"Sentry already has a monitor named {md.code(live_name)} that sentry-alerts did not "
         "make (a conflict). Change it as below so it matches the policy; the new description "
         "carries the ownership marker, so sentry-alerts then recognises it as its own."
         if conflict else
         f"The monitor {md.code(live_name)} exists but differs from the policy. Change only these "
         "fields; leave everything else as it is."),
        "",
        change_table(changes, FIELD_WHERE),
        "",
    ]
    if any(f == "description" for f, _, _ in changes):
        out += ["The full description to paste:", "", md.fenced(a.description), ""]
    out += [
        "## Steps",
        "",
        f"1. {OPEN_MONITORS} Click {md.code(live_name)}, then **Edit**.",
        "2. Change each field of the table above to the value in **Change to** (thresholds in "
        "milliseconds: type the number only).",
        "3. Click **Save**.",
        f"4. **Check it worked.** The monitor list shows {md.code(a.name)} with the new values; "
        "`sentry-alerts plan` then lists it as unchanged.",
        "",
    ]
    return "\n".join(out)
