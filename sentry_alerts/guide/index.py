"""The guide's index page: prerequisites, how to tell the UIs apart, and the list of alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sentry_alerts.guide.markdown as md
from sentry_alerts.guide.values import UI, UI_TITLES
from sentry_alerts.model import SlackTarget, format_ms, format_targets, format_window

STATUS_WORDS = {"create": "create", "update": "change", "conflict": "change"}


def _slack(items: Sequence[Any]) -> tuple[list[str], list[str]]:
    channels: set[str] = set()
    workspaces: set[str] = set()
    for item in items:
        if item.spec is None:
            continue
        for t in item.spec.targets:
            if isinstance(t, SlackTarget):
                channels.add(t.channel)
                if t.workspace:
                    workspaces.add(t.workspace)
    return sorted(channels), sorted(workspaces)


def _prerequisites(items: Sequence[Any], uis: Sequence[UI]) -> list[str]:
    channels, workspaces = _slack(items)
    out = ["## Before you start", ""]
    if channels:
        ws = (" (" + ", ".join(md.code(w) for w in workspaces) + ")") if workspaces else ""
        out += [
            f"1. **Slack is connected to Sentry**{ws}. Check **Settings** → **Integrations** → "
            "**Slack**: the workspace is listed. If not, someone with the Sentry role owner, "
            "manager or admin clicks **Add Workspace**, picks the workspace in the Slack window and "
            "clicks **Allow**. (Self-hosted Sentry needs its own Slack app first: ask your Sentry "
            "admin.)",
            "2. **The Sentry app can post to each channel**: "
            + ", ".join(md.code(c) for c in channels)
            + ". Public channels need nothing. In a private channel, invite the app (for example "
            "mention `@sentry` in the channel and accept the invitation). Otherwise saving fails "
            "with \"does not exist or has not been granted access\".",
        ]
        n = 3
    else:
        out.append("The policy names no Slack channel, so no Slack setup is needed.")
        n = 1
    perms = []
    if "alerts" in uis:
        perms.append("legacy UI: role member or higher; if members cannot create alerts, an "
                     "owner or manager turns on **Settings** → **General Settings** → **Let "
                     "Members Create and Edit Alerts**")
    if "monitors" in uis:
        perms.append("new UI: owners, managers and admins always can; members only when **Let "
                     "Members Create and Edit Monitors and Alerts** is on in the organisation "
                     "settings")
    out.append(f"{n}. **You may create alerts**: " + "; ".join(perms) + ". Without it the form "
               "is read-only.")
    out.append(f"{n + 1}. Nothing else to look up: every value is on the alert's page, in "
               "`code`; copy it exactly.")
    return out + [""]


WHICH_UI = [
    "## Which UI do I have?",
    "",
    "- The navigation shows **Monitors**, and that page has a **Create Monitor** button: the new "
    "**Monitors & Alerts** UI. Use the *Monitors & Alerts* pages.",
    "- **Issues** → **Alerts** (or **Alerts** in the sidebar) opens an **Alert Rules** list whose "
    "**Create Alert** button leads to **Select Alert**: the legacy **Alerts** UI. Use the "
    "*Alerts* pages.",
    "- Self-hosted Sentry: up to 26.6.x has the legacy UI; 26.7.0 and later the new one.",
    "",
]


def _row(item: Any, uis: Sequence[UI], n: int) -> list[str]:
    spec = item.spec
    threshold = f"{spec.statistic} > {format_ms(spec.critical_ms)}"
    links = [f"[{STATUS_WORDS.get(item.status, item.status)}]({ui}/{spec.key}.md)" for ui in uis]
    return [str(n), md.code_cell(spec.name), md.code_cell(spec.transaction),
            md.text(threshold), format_window(spec.window_minutes),
            md.text(format_targets(spec.targets)), *links]


def render_index(policy: Any, items: Sequence[Any], uis: Sequence[UI], *, dataset: str | None,
                 partial: bool, policy_path: str | None, reason: str | None) -> str:
    org = getattr(policy, "organization", None)
    where = f" in organisation {md.code(org)}" if org else ""
    source = md.code(policy_path) if policy_path else "the policy file"
    out = [
        f"# Manual setup guide: policy {md.code(policy.name)}",
        "",
        f"Follow these pages to create, by hand in Sentry's web UI{where}, the alerts that "
        f"{source} asks for, one alert at a time. They give the exact labels to click and the "
        "exact values to type, the same values `sentry-alerts apply` would use.",
        "",
    ]
    if reason:
        out += [f"**Why this guide:** {md.text(reason)}", ""]
    if partial:
        out += ["This guide covers only what is missing or different in Sentry, as a plan against "
                "your organisation found it (your token can read alerts but not change them).", ""]
    if dataset:
        out += [f"Dataset in use: {md.code(dataset)} (what sentry-alerts would use on this "
                "server).", ""]
    out += _prerequisites(items, uis)
    if len(uis) > 1:
        out += WHICH_UI
    todo = [i for i in items if i.spec is not None and i.status in ("create", "update")
            or (i.status == "conflict" and i.spec is not None and not i.foreign)]
    header = ["#", "Alert name", "Transaction", "Alert when", "Window", "Notify",
              *[UI_TITLES[ui] for ui in uis]]
    out += ["## Alerts", ""]
    if todo:
        out += [md.table(header, [_row(item, uis, n) for n, item in enumerate(todo, start=1)]), ""]
    else:
        out += ["Nothing to create or change: Sentry already matches the policy.", ""]
    unchanged = [i for i in items if i.status == "unchanged"]
    if unchanged:
        out += ["Already correct in Sentry (nothing to do): "
                + ", ".join(md.code(i.name) for i in unchanged) + ".", ""]
    foreign = [i for i in items if i.status == "conflict" and i.foreign]
    if foreign:
        out += ["Not guided, because another policy manages an alert of the same name (rename it "
                "in one of the two policies):", ""]
        out += [f"- {md.code(i.name)}: {md.text(i.note)}" for i in foreign] + [""]
    extra = [i for i in items if i.status in ("orphan", "duplicate")]
    if extra:
        out += ["Managed by this policy but not wanted by it any more (sentry-alerts keeps them; "
                "delete them in Sentry if nobody needs them):", ""]
        out += [f"- {md.code(i.name)} ({i.status}): {md.text(i.note)}" for i in extra] + [""]
    cmd_path = policy_path or "POLICY"
    out += [
        "## Later, with an API token",
        "",
        f"`sentry-alerts plan {cmd_path}` compares Sentry with the policy. Alerts made with these "
        "pages in the new UI show as unchanged; alerts made in the legacy UI show as a conflict "
        f"until `sentry-alerts apply --adopt {cmd_path}` takes them over once (that UI has no "
        "description field for the ownership marker).",
        "",
    ]
    return "\n".join(out)
