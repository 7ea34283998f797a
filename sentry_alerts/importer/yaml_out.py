"""The imported policy as YAML text.

Written line by line rather than with `yaml.dump`, to control the layout people review: values
shared by most alerts lifted into `defaults`, one entry per alert in the policy's terms
(thresholds in ms, windows as `5m`, Slack channels by name with their ids), a comment above
each entry naming the alert it reproduces, and at the end, as comments, every alert that could
not be imported with the reasons. Scalars are quoted whenever plain YAML would read them
differently.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from sentry_alerts.importer.entries import Entry, Skipped, sort_key
from sentry_alerts.model import EmailTarget, SlackTarget, Target, format_ms, format_window
from sentry_alerts.policy.templates import DEFAULT_NAME_TEMPLATE
from sentry_alerts.policy.transaction_spec import slug_key

DEFAULTED = ("project", "environment", "window", "owner", "notify")
_PLAIN = re.compile(r"^[A-Za-z0-9_/][A-Za-z0-9 _./@:+-]*$")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
WIDTH = 96


@dataclass(frozen=True)
class Rendered:
    text: str
    spans: dict[str, tuple[int, int]]  # entry key -> its first and last line (1-based)


def scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as exactly this string (plain when safe)."""
    if _PLAIN.match(text) and text == text.strip() and ": " not in text:
        try:
            if yaml.load(f"k: {text}", Loader=_Loader) == {"k": text}:  # a safe loader
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def duration(ms: float) -> str:
    """750 -> `750ms`, 0.5 -> `0.5ms`; never an exponent (the policy's durations have none)."""
    text = format(Decimal(repr(float(ms))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}ms"


def default_name(entry: Entry) -> str:
    """The name the policy's default template (checks.DEFAULT_NAME_TEMPLATE) gives this entry,
    with the values the checker fills in."""
    a = entry.alert
    values = {"transaction": entry.transaction, "metric": entry.statistic,
              "critical": format_ms(a.critical_ms), "warning": format_ms(a.warning_ms),
              "resolve": format_ms(a.resolve_ms), "window": format_window(a.window_minutes),
              "sla": format_ms(entry.sla[1] if entry.sla else None), "project": a.project or "?",
              "environment": a.environment or "all environments", "key": entry.key}
    return " ".join(DEFAULT_NAME_TEMPLATE.format(**values).split())


def comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" if line else f"{indent}#"
            for line in textwrap.wrap(" ".join(text.split()), WIDTH - len(indent) - 2,
                                      break_long_words=False, break_on_hyphens=False) or [""]]


def values_of(entry: Entry) -> dict[str, Any]:
    a = entry.alert
    return {"project": a.project, "environment": a.environment,
            "window": a.window_minutes, "owner": a.owner, "notify": tuple(a.targets)}


def lifted(entries: Sequence[Entry]) -> dict[str, Any]:
    """The defaults: per key, the value most alerts share (the project always; others when
    more than one alert has it, or there is only one alert)."""
    out: dict[str, Any] = {}
    for key in DEFAULTED:
        counts = Counter(values_of(e)[key] for e in entries)
        if not counts:
            continue
        value, count = counts.most_common(1)[0]
        if key == "project" or (value is not None and (count > 1 or len(entries) == 1)):
            out[key] = value
    return out


def target_line(target: Target, *, workspace: bool) -> str:
    if isinstance(target, EmailTarget):
        return f"- email: {scalar(f'{target.to}:{target.name}')}"
    assert isinstance(target, SlackTarget)
    parts = [f"channel: {scalar(target.channel)}"]
    if target.channel_id:
        parts.append(f"channel_id: {scalar(target.channel_id)}")
    if workspace and target.workspace:
        parts.append(f"workspace: {scalar(target.workspace)}")
    if len(parts) == 1:
        return f"- slack: {scalar(target.channel)}"
    return "- slack: {" + ", ".join(parts) + "}"


def setting_lines(key: str, value: Any, indent: str, *, workspace: bool) -> list[str]:
    if key == "notify":
        return [f"{indent}notify:"] + [f"{indent}  {target_line(t, workspace=workspace)}"
                                       for t in value]
    if value is None:
        return [f"{indent}{key}: null"]
    text = format_window(value) if key == "window" else scalar(str(value))
    return [f"{indent}{key}: {text}"]


def entry_lines(entry: Entry, defaults: dict[str, Any], *, workspace: bool) -> list[str]:
    a = entry.alert
    lines = [f"  # {entry.live.where} {json.dumps(a.name.strip(), ensure_ascii=False)}: "
             f"{entry.live.url}"]
    for note in entry.notes:
        lines += comment(note, "  ")
    lines.append(f"  - transaction: {scalar(entry.transaction)}")
    if entry.key != slug_key(entry.transaction):
        lines.append(f"    id: {scalar(entry.key)}")
    if entry.sla is not None:
        lines.append(f"    sla: {{{entry.sla[0]}: {duration(entry.sla[1])}}}")
    thresholds = [f"critical: {duration(a.critical_ms)}"]
    if a.warning_ms is not None:
        thresholds.append(f"warning: {duration(a.warning_ms)}")
    if a.resolve_ms is not None:
        thresholds.append(f"resolve: {duration(a.resolve_ms)}")
    if entry.sla is None or entry.sla[0] != entry.statistic:
        thresholds.append(f"metric: {entry.statistic}")
    lines.append("    alert: {" + ", ".join(thresholds) + "}")
    if a.name.strip() != default_name(entry):
        template = a.name.strip().replace("{", "{{").replace("}", "}}")
        lines.append(f"    name: {scalar(template)}")
    for key, value in values_of(entry).items():
        if key in defaults and defaults[key] == value:
            continue
        if key not in defaults and value is None:
            continue
        lines += setting_lines(key, value, "    ", workspace=workspace)
    if entry.runbook:
        lines.append(f"    runbook: {scalar(entry.runbook)}")
    return lines


def skipped_lines(skipped: Sequence[Skipped]) -> list[str]:
    if not skipped:
        return []
    lines = ["", *comment("Not imported: the policy format cannot express these alerts, so "
                          "they stay as they are in Sentry (sentry-alerts never changes an alert "
                          "that no policy manages)."), "#"]
    order = sorted(skipped, key=lambda s: (s.live.alert.project or "", s.live.alert.name,
                                           s.live.kind, s.live.alert.remote_id or ""))
    for s in order:
        a = s.live.alert
        where = f"{s.live.where}, project {a.project}" if a.project else s.live.where
        lines += comment(f"{json.dumps(a.name.strip(), ensure_ascii=False)} ({where})")
        lines.append(f"#   {s.live.url}")
        for reason in s.reasons:
            wrapped = comment(reason, "")
            lines += ["#   - " + wrapped[0][2:]] + ["#     " + w[2:] for w in wrapped[1:]]
    return lines


def render_policy(*, name: str, org: str, dataset: str, entries: Sequence[Entry],
                  skipped: Sequence[Skipped], header: Sequence[str],
                  several_workspaces: bool) -> Rendered:
    """The policy file's text. `entries` carry their keys (entries.assign_keys)."""
    lines: list[str] = []
    for paragraph in header:  # indented lines (commands) are kept as they are
        lines += [f"# {paragraph}"] if paragraph.startswith("  ") else comment(paragraph)
    lines += ["version: 1", f"name: {scalar(name)}", f"organization: {scalar(org)}"]
    if dataset != "spans":  # `auto` is spans on every server sentry-alerts supports
        lines.append(f"dataset: {dataset}")
    defaults = lifted(entries)
    if defaults:
        lines.append("defaults:")
        for key in DEFAULTED:
            if key in defaults:
                lines += setting_lines(key, defaults[key], "  ", workspace=several_workspaces)
    lines.append("transactions:" if entries else "transactions: []")
    spans: dict[str, tuple[int, int]] = {}
    for entry in sorted(entries, key=sort_key):
        body = entry_lines(entry, defaults, workspace=several_workspaces)
        spans[entry.key] = (len(lines) + 1, len(lines) + len(body))
        lines += body
    lines += skipped_lines(skipped)
    return Rendered("\n".join(lines) + "\n", spans)


__all__ = ["Rendered", "default_name", "duration", "lifted", "render_policy", "scalar"]
