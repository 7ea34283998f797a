"""Pages for the legacy "Alerts" UI (the metric alert rule wizard).

Labels are Sentry's own (`t('…')` strings of the frontend), as collected in
../shared/reference/sentry-ui-and-sdk-notes.md §2; see docs/guides.md for sources.
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
    per_variant,
    value_cell,
    window_value,
)
from sentry_alerts.guide.values import FormValues
from sentry_alerts.model import AlertSpec, EmailTarget, SlackTarget

OPEN_LIST = ("In Sentry, open **Issues** → **Alerts** (older navigation: **Alerts** in the "
             "sidebar). The page lists **Alert Rules**.")


def _function(v: FormValues) -> str:
    return md.code(v.function)


def _attribute(v: FormValues) -> str:
    return md.code(v.attribute)


def _owner(v: FormValues) -> str:
    owner = v.owner
    if owner is None:
        return "**Unassigned**"
    kind, name = owner
    if kind == "team":
        return f"{md.code(name)} (listed as #{md.text(name)})"
    return f"not settable here (the policy names user {md.code(name)}; see step 7)"


def values_table(values: Sequence[FormValues]) -> str:
    header = ["Field"] + (
        [f"If you picked **{v.variant.choice}**" for v in values] if len(values) > 1 else ["Value"]
    )
    rows = [
        ["Alert name", *value_cell(values, lambda v: md.code(v.alert.name))],
        ["Project", *value_cell(values, lambda v: md.code(v.alert.project or ""))],
        ["Environment", *value_cell(values, environment_value)],
        ["Alert type", *value_cell(values, lambda v: f"**{v.variant.choice}**")],
        ["Function", *value_cell(values, _function)],
        ["Attribute", *value_cell(values, _attribute)],
        ["Filter", *value_cell(values, lambda v: md.code(v.alert.query))],
        ["Time window", *value_cell(values, window_value)],
        ["Critical", *value_cell(values, lambda v: f"**Above** {ms_code(v.alert.critical_ms)}")],
        ["Warning", *value_cell(values, lambda v: (
            f"**Above** {ms_code(v.alert.warning_ms)}" if v.alert.warning_ms is not None
            else "leave empty"))],
        ["Resolved", *value_cell(values, lambda v: (
            ms_code(v.alert.resolve_ms) if v.alert.resolve_ms is not None
            else "leave empty (**Automatic**)"))],
        ["Team", *value_cell(values, _owner)],
    ]
    return md.table(header, rows)


def _action_steps(v: FormValues) -> list[str]:
    levels = ["**Critical Status**"]
    if v.alert.warning_ms is not None:
        levels.append("**Warning Status**")
    lines = []
    for target in v.alert.targets:
        for level in levels:
            if isinstance(target, SlackTarget):
                ws = f"**Slack - {md.text(target.workspace)}**" if target.workspace else (
                    "**Slack - …** for " + ONLY_WORKSPACE)
                line = (f"Click **Add Action**; choose {level}, then {ws}; in "
                        f"**@username or #channel** type {md.code(target.channel)}")
                if target.channel_id:
                    line += (f"; in **optional: channel ID or user ID** type "
                             f"{md.code(target.channel_id)}")
                lines.append(line + ".")
            elif isinstance(target, EmailTarget):
                kind = "**Team**" if target.to == "team" else "**Member**"
                lines.append(f"Click **Add Action**; choose {level}, then **Email**, then {kind}, "
                             f"then {md.code(target.name)}.")
    return lines


def create_page(spec: AlertSpec, values: Sequence[FormValues], *, nav: str) -> str:
    first = values[0]
    a = first.alert
    out: list[str] = [
        f"# {md.text(a.name)}: Alerts (legacy UI)",
        "",
        nav,
        "",
        describe_goal(first, spec.transaction) + f" Policy {md.code(spec.policy)}, key "
        f"{md.code(spec.key)}.",
        "",
        "Use this page if your organisation has the legacy **Alerts** UI (no **Monitors** in the "
        "navigation; see the index). **Bold** text is a label you see in Sentry; `code` is a value "
        "to type or pick exactly as shown (copy it).",
        "",
        "## Values to copy",
        "",
        values_table(values),
        "",
        "Notifications (one action per row):",
        "",
        notifications_table(first),
        "",
        "## Steps",
        "",
    ]
    steps: list[str] = []
    steps.append(f"**Open the wizard.** {OPEN_LIST} Click **Create Alert**. The page **Select "
                 "Alert** opens.")
    if len(values) > 1:
        choice = (f"Under **Performance**, click **{values[0].variant.choice}** if it is listed "
                  "(organisations on span-based alerts). If it is not listed, click **"
                  f"{values[1].variant.choice}**. Remember which one you picked: where the values "
                  "differ, the steps and the table give one value for each.")
    else:
        choice = f"Under **Performance**, click **{first.variant.choice}**."
        if first.variant.choice == "Duration":
            choice += (" If it is not listed, this organisation cannot make span alerts in this UI "
                       "yet: stop here and ask whoever owns the policy to set its `dataset:` to "
                       "`auto`; `sentry-alerts guide` then also covers **Transaction Duration**.")
        else:
            choice += (" (The policy asks for the transactions dataset; if only **Duration** is "
                       "listed, transaction alerts are retired here: set the policy's `dataset:` "
                       "to `auto` and generate the guide again.)")
    steps.append(f"**Pick the type.** {choice} Click **Set Conditions**. The page title becomes "
                 "**Set Conditions for …** with the type you picked.")
    metric = [
        "**Define your metric.**",
        f"   - Function: {per_variant(values, _function)}; attribute: "
        f"{per_variant(values, _attribute)} (for **Transaction Duration** the attribute is fixed "
        "and not shown as a choice).",
        "   - Time window: " + per_variant(values, lambda v: window_value(v).replace(
            "(see step 3)", "(see below)")) + ".",
    ]
    for v in values:
        if v.window_label is None:
            metric.append(
                f"   - **{v.variant.choice}** does not offer a {v.window_minutes}-minute window "
                "(span alerts start at 5 minutes). The policy should use `window: 5m` or more "
                "(`sentry-alerts validate` warns about this); change it and generate the guide "
                "again rather than picking another window.")
        if not v.function_offered:
            metric.append(
                f"   - **{v.variant.choice}** does not offer {md.code(v.function)}: use the other "
                "type if listed, or change the policy's statistic.")
    steps.append("\n".join(metric))
    steps.append("\n".join([
        "**Filter events.**",
        f"   - Project: {md.code(a.project or '')}.",
        f"   - Environment: {environment_value(first)}.",
        "   - Click the search bar (**Filter transactions by URL, tags, and other properties…**), "
        f"paste the filter and press Enter: {per_variant(values, lambda v: md.code(v.alert.query))}. "
        "Paste it whole, quotes included.",
    ]))
    thresholds = [
        "**Set thresholds.**",
        "   - **Threshold Type** (only shown on some organisations): **Static**.",
        f"   - **Critical**: **Above**, {ms_code(a.critical_ms)} (the field is in milliseconds; "
        "type the number only).",
    ]
    if a.warning_ms is not None:
        thresholds.append(f"   - **Warning**: {ms_code(a.warning_ms)}.")
    else:
        thresholds.append("   - **Warning**: leave empty (placeholder **None**).")
    if a.resolve_ms is not None:
        thresholds.append(f"   - **Resolved**: {ms_code(a.resolve_ms)}.")
    else:
        thresholds.append("   - **Resolved**: leave empty (placeholder **Automatic**): the alert "
                          "resolves when the value is back below the threshold.")
    steps.append("\n".join(thresholds))
    actions = _action_steps(first)
    if actions:
        steps.append("\n".join(["**Set actions.**"] + [f"   - {line}" for line in actions]))
    else:
        steps.append("**Set actions.** The policy names no target: add none.")
    owner = first.owner
    if owner is None:
        team = "leave the team selector at **Unassigned**."
    elif owner[0] == "team":
        team = f"in the team selector pick {md.code(owner[1])} (shown as #{md.text(owner[1])})."
    else:
        team = (f"this form only offers teams, but the policy names user {md.code(owner[1])}: "
                "leave **Unassigned** (sentry-alerts sets the user when it adopts the alert).")
    steps.append(f"**Establish ownership.** In **Enter Alert Name** type {md.code(a.name)}; {team}")
    steps.append("Click **Save Rule**. With a Slack action Sentry may show **Looking for your slack "
                 "channel (this can take a while)**: wait (up to 3 minutes). If it ends with \"does "
                 "not exist or has not been granted access\", invite the Sentry app to the channel "
                 "(see the index) and save again.")
    steps.append(
        f"**Check it worked.** {OPEN_LIST} The list shows {md.code(a.name)}. Open it and "
        "compare what it shows with the table above: the metric ("
        + per_variant(values, lambda v: md.code(v.alert.aggregate))
        + "), the filter, the thresholds and the notifications. Sentry sends nothing until the "
        "threshold is crossed; metric alerts in this UI have no test button.")
    out += [f"{i}. {s}" for i, s in enumerate(steps, start=1)]
    out += [
        "",
        "## The ownership marker (this UI has no description field)",
        "",
        "sentry-alerts recognises the alerts it manages by a marker in their description. This "
        "form has no description field, so when someone later runs `sentry-alerts plan` with an "
        "API token, it reports this alert as a **conflict** (an alert with this name that "
        "sentry-alerts did not make). Running `sentry-alerts apply --adopt` once takes it over and "
        "writes this description; from then on `sentry-alerts plan` shows it as unchanged:",
        "",
        md.fenced(a.description),
        "",
    ]
    return "\n".join(out)


FIELD_WHERE = {
    "name": "**Establish ownership** → **Enter Alert Name**",
    "project": "**Filter events** → project selector",
    "environment": "**Filter events** → environment (**All Environments** means none)",
    "dataset": "the alert type (**Duration** is spans; **Transaction Duration** is transactions): "
               "the type cannot be changed on an existing alert; delete it and follow the create "
               "page instead",
    "aggregate": "**Define your metric** → function",
    "query": "**Filter events** → search bar (replace the whole filter)",
    "window_minutes": "**Define your metric** → time window",
    "critical_ms": "**Set thresholds** → **Critical**",
    "warning_ms": "**Set thresholds** → **Warning** (empty = none)",
    "resolve_ms": "**Set thresholds** → **Resolved** (empty = automatic)",
    "targets": "**Set actions** (add or remove actions until exactly these targets remain)",
    "owner": "**Establish ownership** → team selector",
    "description": "not editable in this UI: run `sentry-alerts apply` with a token later",
    "enabled": "the alert's **Enable** switch in the alert list",
}


def change_page(spec: AlertSpec, values: FormValues, changes: Sequence[tuple[str, object, object]],
                *, live_name: str, nav: str, conflict: bool) -> str:
    a = values.alert
    out = [
        f"# {md.text(a.name)}: change the existing alert (Alerts, legacy UI)",
        "",
        nav,
        "",
        (f"Sentry already has an alert named {md.code(live_name)} that sentry-alerts did not make "
         "(a conflict). Change it as below so it matches the policy."
         if conflict else
         f"The alert {md.code(live_name)} exists but differs from the policy. Change only these "
         "fields; leave everything else as it is."),
        "",
        change_table(changes, FIELD_WHERE),
        "",
        "## Steps",
        "",
        f"1. {OPEN_LIST} Click {md.code(live_name)}, then **Edit Rule**.",
        "2. Change each field of the table above to the value in **Change to**. Values are in "
        "milliseconds where a threshold is concerned; type the number only.",
        "3. Click **Save Rule**.",
        f"4. **Check it worked.** The list shows {md.code(a.name)} and the alert shows the new "
        "values. " + ("Then `sentry-alerts apply --adopt` (with a token) writes the ownership "
                      "marker." if conflict else
                      "`sentry-alerts plan` then shows it as unchanged."),
        "",
    ]
    return "\n".join(out)
