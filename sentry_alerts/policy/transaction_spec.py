"""From one transaction whose structure is valid to its AlertSpec: the defaults applied, and the
checks that need the whole transaction (a project and a statistic to alert on, thresholds
against each other and the SLA, the window, the runbook, the alert name and its template).

`build_spec` reports through the checker (checks.py), which knows where each value is written.
A transaction is a pydantic Transaction or its plain reading (plain.py): the same attributes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sentry_alerts.model import (
    AlertSpec,
    EmailTarget,
    SlackTarget,
    Target,
    construct,
    format_ms,
    format_window,
    sort_targets,
)
from sentry_alerts.policy.templates import (
    DEFAULT_NAME_TEMPLATE,
    MAX_NAME,
    PLACEHOLDERS,
    template_fields,
)
from sentry_alerts.policy.yamltree import Path

if TYPE_CHECKING:
    from sentry_alerts.policy.checks import Checker

DEFAULT_WINDOW_MINUTES = 5
MIN_SPAN_WINDOW = 5  # Sentry refuses span (EAP) alerts with a window under 5 minutes
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SETTING_NAMES = frozenset(("project", "environment", "window", "owner", "notify", "runbook",
                            "name"))
_URL = re.compile(r"^https?://\S+$")


def slug_key(transaction: str) -> str:
    """'GET /api/propostas' -> 'get-api-propostas': a readable default key."""
    return _NOT_SLUG.sub("-", transaction.lower()).strip("-")


def build_spec(checker: Checker, t: Any, path: Path, line: int, defaults: Any,
               policy_dataset: str, policy_name: str, *,
               unknown: frozenset[str] = frozenset(), key: str | None = None) -> AlertSpec | None:
    """The spec, after every check of this transaction; None when any failed. `line`: where the
    transaction starts. `unknown`: keys dropped for a bad value (already reported): checks that
    need them are skipped. `key`: its key, when the caller derived it already."""
    errors_before = checker.errors
    given = t.model_fields_set
    # The settings in force: the transaction's own over the defaults' (one dict per
    # transaction rather than a lookup per setting and use).
    settings = checker.defaults_settings(defaults)
    own = given & _SETTING_NAMES
    if own:
        settings = {**settings, **{name: getattr(t, name) for name in own}}
    setting = settings.get

    def known(name: str) -> bool:
        return name not in unknown and (name in given or name not in checker.unknown_defaults)

    project = setting("project")
    if project is None and checker.defaults_known and known("project"):
        checker.report(path, "error", "missing-key",
                       f"transaction `{t.transaction}` has no project; set `project:` under "
                       "defaults or in this transaction, e.g. `project: backend`")
    window = setting("window") or DEFAULT_WINDOW_MINUTES
    dataset = t.dataset or policy_dataset
    sla = t.sla
    sla_statistic = sla.statistic() if sla is not None else None
    sla_ms = sla.objective_ms() if sla is not None else None
    statistic = t.alert.metric or sla_statistic
    if statistic is None and known("sla") and known("alert.metric"):
        checker.report((*path, "alert"), "error", "missing-statistic",
                       "say which statistic to alert on: add `sla: {p95: 500ms}` or "
                       "`metric: p95` under alert")
    if key is None:
        key = t.id if t.id is not None else slug_key(t.transaction)
    if not key:
        checker.report((*path, "transaction"), "error", "bad-key",
                       f"cannot derive a key from transaction {t.transaction!r}; set `id:`, "
                       "e.g. `id: root`")

    check_thresholds(checker, t, path, sla_statistic, sla_ms)
    if window < MIN_SPAN_WINDOW:
        check_window(checker, window, dataset, path, t)
    runbook = setting("runbook")
    if runbook is not None and not _URL.match(runbook):
        where = (*path, "runbook") if "runbook" in given else ("defaults", "runbook")
        checker.report(where, "warning", "runbook-not-url",
                       f"runbook {runbook!r} is not an http(s) URL; people click it from Slack, "
                       "so write the full link, e.g. https://wiki.example.com/runbooks/x")

    def placeholder(field: str) -> str:
        """The value of one placeholder (only those the template uses are computed)."""
        if field == "transaction":
            return t.transaction
        if field == "metric":
            return statistic or "?"
        if field in ("critical", "warning", "resolve"):
            return format_ms(getattr(t.alert, field))
        if field == "window":
            return format_window(window)
        if field == "sla":
            return format_ms(sla_ms)
        if field == "project":
            return project or "?"
        if field == "environment":
            return setting("environment") or "all environments"
        return key

    template = setting("name")
    template_path = (*path, "name") if "name" in given else ("defaults", "name")
    name = render_name(checker, template or DEFAULT_NAME_TEMPLATE, placeholder, template_path,
                       has_sla=sla is not None or not known("sla"))
    if checker.errors > errors_before or unknown:
        return None
    if statistic is None or project is None:  # reported, or unknown because defaults are broken
        return None
    if name is None:
        return None
    return construct(  # AlertSpec(...) without its __init__: one per transaction
        AlertSpec,
        policy=policy_name,
        key=key,
        name=name,
        project=project,
        transaction=t.transaction,
        statistic=statistic,  # type: ignore[arg-type]
        window_minutes=window,
        critical_ms=t.alert.critical,
        warning_ms=t.alert.warning,
        resolve_ms=t.alert.resolve,
        environment=setting("environment"),
        targets=notify_targets(checker, setting("notify") or []),
        owner=setting("owner"),
        sla_statistic=sla_statistic,  # type: ignore[arg-type]
        sla_ms=sla_ms,
        runbook=runbook,
        dataset=dataset,  # type: ignore[arg-type]
        source=(checker.filename, line),
    )


def check_thresholds(checker: Checker, t: Any, path: Path, sla_statistic: str | None,
                     sla_ms: float | None) -> None:
    a = t.alert
    at = (*path, "alert")
    if a.warning is not None and a.warning >= a.critical:
        checker.report((*at, "warning"), "error", "warning-not-below-critical",
                       f"warning ({format_ms(a.warning)}) must be below critical "
                       f"({format_ms(a.critical)}): the alert fires when the statistic goes "
                       "above them; lower warning or raise critical")
    lowest = min(a.critical, a.warning) if a.warning is not None else a.critical
    if a.resolve is not None and a.resolve >= lowest:
        which = "warning" if a.warning is not None and a.warning < a.critical else "critical"
        checker.report((*at, "resolve"), "error", "resolve-not-below-alert",
                       f"resolve ({format_ms(a.resolve)}) must be below the {which} threshold "
                       f"({format_ms(lowest)}), or the alert could never resolve (Sentry "
                       "refuses it); lower resolve or leave it out to resolve automatically")
    if sla_ms is None:
        return
    stat = a.metric or sla_statistic
    if stat != sla_statistic:
        return  # different statistics: the values are not comparable
    if a.critical <= sla_ms:
        checker.report((*at, "critical"), "warning", "critical-within-sla",
                       f"critical ({format_ms(a.critical)}) is at or below the SLA "
                       f"({stat} < {format_ms(sla_ms)}): the alert would fire while the SLA "
                       "still holds (noise). Set critical above the SLA, e.g. "
                       f"{format_ms(sla_ms * 1.5)}")
    if a.warning is not None and a.warning <= sla_ms < a.critical:
        checker.report((*at, "warning"), "warning", "warning-within-sla",
                       f"warning ({format_ms(a.warning)}) is at or below the SLA "
                       f"({stat} < {format_ms(sla_ms)}): it would fire while the SLA holds; set "
                       "it between the SLA and critical")


def check_window(checker: Checker, window: int, dataset: str, path: Path, t: Any) -> None:
    """A window under 5m: refused for span alerts, noisy for the others."""
    where = (*path, "window") if "window" in t.model_fields_set else ("defaults", "window")
    text = format_window(window)
    if dataset == "spans":
        checker.report(where, "error", "span-window-too-short",
                       f"span alerts need a window of at least 5m (Sentry refuses {text}); "
                       "use `window: 5m` or more")
    else:
        extra = (" With `dataset: auto`, modern Sentry picks spans, which refuses windows "
                 "under 5m." if dataset == "auto" else "")
        checker.report(where, "warning", "short-window",
                       f"a {text} window makes noisy alerts that fire on a few slow requests; "
                       f"use 5m or more.{extra}")


def render_name(checker: Checker, template: str, placeholder: Any, path: Path, *,
                has_sla: bool) -> str | None:
    """The alert name; `placeholder(field)` gives the value of each field the template uses."""
    try:
        fields, has_specs = template_fields(template)
    except ValueError as exc:
        checker.report(path, "error", "bad-template",
                       f"alert name template {template!r} is not valid ({exc}); write literal "
                       "braces as {{ and }}")
        return None
    for f in fields:
        if f not in PLACEHOLDERS:
            from sentry_alerts.policy.errors_map import did_you_mean  # pydantic: errors only

            guess = did_you_mean(f, list(PLACEHOLDERS))
            hint = f"did you mean {{{guess}}}? " if guess else ""
            checker.report(path, "error", "bad-template",
                           f"unknown placeholder {{{f}}} in the alert name; {hint}placeholders: "
                           + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
            return None
        if f == "sla" and not has_sla:
            checker.report(path, "error", "bad-template",
                           "the alert name uses {sla} but this transaction has no `sla:`; add "
                           "one or remove {sla}")
            return None
    if has_specs:
        checker.report(path, "error", "bad-template",
                       "placeholders in the alert name take no format spec (`{critical:>5}`); "
                       "write plain {critical}")
        return None
    name = " ".join(template.format(**{f: placeholder(f) for f in fields}).split())
    if not name:
        checker.report(path, "error", "bad-template", "the alert name would be empty")
        return None
    if len(name) > MAX_NAME:
        checker.report(path, "error", "name-too-long",
                       f"the alert name is {len(name)} characters; Sentry allows {MAX_NAME} "
                       f"(it starts {name[:40]!r}). Set a shorter `name:` template, e.g. "
                       "'{key}: {metric} latency'")
        return None
    return name


def notify_targets(checker: Checker, items: list[Any]) -> tuple[Target, ...]:
    """`targets(items)`, once per list: most transactions share the defaults' list."""
    cache = checker.targets_of
    known = cache.get(id(items))
    if known is None or known[0] is not items:
        known = cache[id(items)] = (items, targets(items))
    return known[1]


def targets(items: list[Any]) -> tuple[Target, ...]:
    """A notify list (NotifyTarget models or their plain readings) as model Targets."""
    out: list[Target] = []
    for item in items:
        slack = item.slack
        if isinstance(slack, str):
            out.append(SlackTarget(channel=slack))
        elif slack is not None:
            out.append(SlackTarget(channel=slack.channel, channel_id=slack.channel_id,
                                   workspace=slack.workspace))
        elif item.email is not None:
            kind, _, name = item.email.partition(":")
            out.append(EmailTarget(to=kind, name=name))  # type: ignore[arg-type]
    return sort_targets(out)


__all__ = ["DEFAULT_WINDOW_MINUTES", "MIN_SPAN_WINDOW", "build_spec", "slug_key", "targets"]
