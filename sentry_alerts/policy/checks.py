"""From a YAML document to AlertSpecs: structure (pydantic), defaults, and the semantic checks.

Every finding is a Diagnostic with the line:col of the key or value concerned. Each transaction
is validated on its own, so one broken entry does not hide the findings of the others.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from sentry_alerts.model import (
    AlertSpec,
    EmailTarget,
    SlackTarget,
    Target,
    format_ms,
    format_window,
    sort_targets,
)
from sentry_alerts.policy.diagnostics import Diagnostic, Severity
from sentry_alerts.policy.durations import suspicious_bare_number
from sentry_alerts.policy.errors_map import did_you_mean, translate
from sentry_alerts.policy.models import (
    OVERRIDABLE,
    Defaults,
    NotifyTarget,
    PolicyHead,
    SlackChannel,
    Transaction,
)
from sentry_alerts.policy.salvage import salvage
from sentry_alerts.policy.text_fields import check_text_fields
from sentry_alerts.policy.yamltree import Path, YamlDocument

# The transaction and the statistic, not the threshold: a name that holds the threshold changes
# (and the alert's history moves to a new name) every time the threshold does. The thresholds
# are in the description (model.describe_alert) and in the plan.
DEFAULT_NAME_TEMPLATE = "{transaction}: {metric} latency"
PLACEHOLDERS: tuple[str, ...] = (
    "transaction", "metric", "critical", "warning", "resolve", "window", "sla", "project",
    "environment", "key",
)
MAX_NAME = 200  # Sentry: detector names <= 200 characters (alert rules allow 256)
DEFAULT_WINDOW_MINUTES = 5
MIN_SPAN_WINDOW = 5  # Sentry refuses span (EAP) alerts with a window under 5 minutes
DATASET_CHOICES = ("auto", "spans", "metrics", "transactions")


@dataclass
class Checked:
    """What checking one document produced."""

    name: str | None = None
    organization: str | None = None
    dataset: str = "auto"
    specs: list[AlertSpec] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    transactions: int = 0


def slug_key(transaction: str) -> str:
    """'GET /api/propostas' -> 'get-api-propostas': a readable default key."""
    return re.sub(r"[^a-z0-9]+", "-", transaction.lower()).strip("-")


class _Checker:
    def __init__(self, doc: YamlDocument, filename: str) -> None:
        self.doc = doc
        self.filename = filename
        self.out = Checked()
        self.defaults_known = True  # False when `defaults` is broken (its errors are reported)
        self.unknown_defaults: frozenset[str] = frozenset()  # default keys with a bad value

    def report(self, path: Path, severity: Severity, code: str, message: str, *, key: bool = False) -> None:
        line, col = self.doc.where(path, key=key)
        self.out.diagnostics.append(Diagnostic(self.filename, line, col, severity, code, message))

    def validate(self, model: type[BaseModel], data: Any, prefix: Path) -> Any:
        return self._validate(model, data, prefix, salvaging=False)[0]

    def validate_salvaging(self, model: type[BaseModel], data: Any,
                           prefix: Path) -> tuple[Any, frozenset[str] | None]:
        """Report every error; then (the model, None) when it is valid, (a model of what is
        left, the dropped keys) when only optional keys were wrong, or (None, None)."""
        return self._validate(model, data, prefix, salvaging=True)

    def _validate(self, model: type[BaseModel], data: Any, prefix: Path,
                  *, salvaging: bool) -> tuple[Any, frozenset[str] | None]:
        try:
            return model.model_validate(data, strict=True), None
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            for err in errors:
                path, at_key, code, message = translate(err, model, prefix)
                self.report(path, "error", code, message, key=at_key)
            if not salvaging:
                return None, None
            partial, dropped = salvage(model, data, errors)  # type: ignore[arg-type]
            return (partial, dropped) if partial is not None else (None, None)

    @staticmethod
    def quietly(model: type[BaseModel], data: Any) -> tuple[Any, bool, frozenset[str]]:
        """(the model or what is left of it, whether it is known, the keys dropped); nothing is
        reported (the caller reported the errors already)."""
        if data is None:
            return None, True, frozenset()
        try:
            return model.model_validate(data, strict=True), True, frozenset()
        except ValidationError as exc:
            partial, dropped = salvage(model, data, exc.errors(include_url=False))  # type: ignore[arg-type]
            return partial, partial is not None, dropped

    def run(self) -> Checked:
        data = self.doc.data
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else "a single value"
            self.report((), "error", "wrong-type",
                        f"a policy file is a mapping (`version: 1`, `name: ...`, `transactions: ...`), "
                        f"but this file holds {kind}")
            return self.out
        check_invisible(self, data, ())
        check_text_fields(self, data)  # what each free-text field may hold
        head = self.validate(PolicyHead, data, ())
        raw_items = data.get("transactions")
        if head is None:
            # Still check the transactions, so one run shows as much as possible. When the
            # defaults themselves are broken (already reported), checks that depend on them
            # (a missing project, no notify target) are skipped rather than guessed.
            defaults, self.defaults_known, self.unknown_defaults = self.quietly(
                Defaults, data.get("defaults"))
            dataset = data.get("dataset") if data.get("dataset") in DATASET_CHOICES else "auto"
            if isinstance(raw_items, list):
                self.check_transactions(raw_items, defaults, dataset, policy_name="policy")
            return self.out
        self.out.name, self.out.organization, self.out.dataset = head.name, head.organization, head.dataset
        items = head.transactions or []
        if not items:
            self.report(("transactions",), "warning", "empty-policy",
                        "the policy lists no transactions, so it manages no alerts (and a plan "
                        "with --prune would delete every alert it made before); add a transaction")
        self.check_transactions(items, head.defaults, head.dataset, policy_name=head.name)
        return self.out

    def check_transactions(self, items: list[Any], defaults: Defaults | None, dataset: str,
                           *, policy_name: str) -> None:
        """Every transaction on its own. One with an error is still checked as far as it can
        be (its other keys, its key's uniqueness); only whole, valid ones become specs."""
        self.out.transactions = len(items)
        keys: dict[str, tuple[int, str, bool]] = {}  # key -> (line, transaction, derived)
        names: dict[tuple[str, str], int] = {}  # (project, rendered name) -> line
        no_target: list[Path] = []
        for i, item in enumerate(items):
            path: Path = ("transactions", i)
            self.check_bare_numbers(item, path)
            t, dropped = self.validate_salvaging(Transaction, item, path)
            whole = dropped is None
            if not self.check_unique_key(item, t, path, keys):
                whole = False
            if t is None:
                continue
            spec = self.build_spec(t, path, defaults, dataset, policy_name,
                                   unknown=dropped or frozenset())
            if spec is None or not whole:
                continue
            name_key = (spec.project, spec.name)
            if name_key in names:
                self.report(path, "warning", "duplicate-name",
                            f"the alert name {spec.name!r} is also used at line {names[name_key]} "
                            f"in project {spec.project}; people cannot tell the alerts apart. Set "
                            "`name:` (e.g. '{transaction} ({environment}): {metric} latency')")
            else:
                names[name_key] = self.doc.where(path)[0]
            if not spec.targets:
                no_target.append(path)
            self.out.specs.append(spec)
        if self.defaults_known and "notify" not in self.unknown_defaults:
            self.report_no_targets(no_target, defaults)

    def check_unique_key(self, item: Any, t: Transaction | None, path: Path,
                         keys: dict[str, tuple[int, str, bool]]) -> bool:
        """The transaction's key (its `id`, or derived from its name) is not used before; read
        from the raw item when the transaction has other errors. False on a duplicate."""
        raw = item if isinstance(item, dict) else {}
        given = t.id if t is not None else raw.get("id")
        transaction = t.transaction if t is not None else raw.get("transaction")
        if not isinstance(transaction, str) or (given is not None and not isinstance(given, str)):
            return True  # no key to compare (already reported)
        derived = given is None
        key = slug_key(transaction) if derived else given
        if not key:
            return True
        line = self.doc.where(path)[0]
        if key not in keys:
            keys[key] = (line, transaction, derived)
            return True
        first_line, first_tx, first_derived = keys[key]
        if derived and first_derived and first_tx != transaction:
            why = (f"`{transaction}` and `{first_tx}` (line {first_line}) both give the "
                   f"key `{key}`")
        else:
            why = f"key `{key}` is already used at line {first_line} (`{first_tx}`)"
        self.report(("transactions", path[1], "id") if not derived else path, "error",
                    "duplicate-key",
                    f"{why}; every transaction needs its own key: set a distinct `id:` "
                    "on one of them")
        return False

    def check_bare_numbers(self, item: Any, path: Path) -> None:
        """`critical: 2` is 2 ms: valid, and almost certainly meant as seconds."""
        if not isinstance(item, dict):
            return
        for section in ("alert", "sla"):
            values = item.get(section)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if key == "metric":
                    continue
                number = suspicious_bare_number(value)
                if number is not None:
                    shown = f"{number:g}"
                    self.report((*path, section, key), "warning", "bare-number",
                                f"{shown} ms? A number without a unit means milliseconds: write "
                                f"{shown}s if you meant seconds (or {shown}ms to say it is "
                                "milliseconds)")

    def report_no_targets(self, paths: list[Path], defaults: Defaults | None) -> None:
        message = ("nobody hears this alert: it has no notify target; add `notify: "
                   '[{slack: "#ops-alerts"}]` here or under defaults')
        if paths and len(paths) == len(self.out.specs) and len(paths) > 1:
            where: Path = ("defaults",) if defaults is not None else ()
            self.report(where, "warning", "no-notify",
                        f"none of the {len(paths)} transactions has a notify target, so nobody "
                        "hears their alerts; add `notify: [{slack: \"#ops-alerts\"}]` under defaults")
            return
        for path in paths:
            self.report(path, "warning", "no-notify", message)

    def build_spec(self, t: Transaction, path: Path, defaults: Defaults | None, policy_dataset: str,
                   policy_name: str, *, unknown: frozenset[str] = frozenset()) -> AlertSpec | None:
        """The spec, after every check of this transaction; None when any failed. `unknown`:
        keys dropped for a bad value (already reported): checks that need them are skipped."""
        errors_before = sum(d.severity == "error" for d in self.out.diagnostics)

        def setting(name: str) -> Any:
            if name in t.model_fields_set:
                return getattr(t, name)
            if defaults is not None and name in defaults.model_fields_set:
                return getattr(defaults, name)
            return None

        def known(name: str) -> bool:
            return name not in unknown and (name in t.model_fields_set
                                            or name not in self.unknown_defaults)

        project = setting("project")
        if project is None and self.defaults_known and known("project"):
            self.report(path, "error", "missing-key",
                        f"transaction `{t.transaction}` has no project; set `project:` under "
                        "defaults or in this transaction, e.g. `project: backend`")
        window = setting("window") or DEFAULT_WINDOW_MINUTES
        dataset = t.dataset or policy_dataset
        statistic = t.alert.metric or (t.sla.statistic() if t.sla else None)
        if statistic is None and known("sla") and known("alert.metric"):
            self.report((*path, "alert"), "error", "missing-statistic",
                        "say which statistic to alert on: add `sla: {p95: 500ms}` or "
                        "`metric: p95` under alert")
        key = t.id if t.id is not None else slug_key(t.transaction)
        if not key:
            self.report((*path, "transaction"), "error", "bad-key",
                        f"cannot derive a key from transaction {t.transaction!r}; set `id:`, "
                        "e.g. `id: root`")

        self.check_thresholds(t, path)
        self.check_window(window, dataset, path, t, defaults)
        runbook = setting("runbook")
        if runbook is not None and not re.match(r"^https?://\S+$", runbook):
            where = (*path, "runbook") if "runbook" in t.model_fields_set else ("defaults", "runbook")
            self.report(where, "warning", "runbook-not-url",
                        f"runbook {runbook!r} is not an http(s) URL; people click it from Slack, "
                        "so write the full link, e.g. https://wiki.example.com/runbooks/x")

        sla_ms = t.sla.objective_ms() if t.sla else None
        values = {
            "transaction": t.transaction,
            "metric": statistic or "?",
            "critical": format_ms(t.alert.critical),
            "warning": format_ms(t.alert.warning),
            "resolve": format_ms(t.alert.resolve),
            "window": format_window(window),
            "sla": format_ms(sla_ms),
            "project": project or "?",
            "environment": setting("environment") or "all environments",
            "key": key,
        }
        template = setting("name")
        template_path = (*path, "name") if "name" in t.model_fields_set else ("defaults", "name")
        name = self.render_name(template or DEFAULT_NAME_TEMPLATE, values, template_path,
                                has_sla=t.sla is not None or not known("sla"))
        if sum(d.severity == "error" for d in self.out.diagnostics) > errors_before or unknown:
            return None
        if statistic is None or project is None:  # reported, or unknown because defaults are broken
            return None
        if name is None:
            return None
        return AlertSpec(
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
            targets=self.targets(setting("notify") or []),
            owner=setting("owner"),
            sla_statistic=t.sla.statistic() if t.sla else None,  # type: ignore[arg-type]
            sla_ms=sla_ms,
            runbook=runbook,
            dataset=dataset,  # type: ignore[arg-type]
            source=(self.filename, self.doc.where(path)[0]),
        )

    def check_thresholds(self, t: Transaction, path: Path) -> None:
        a = t.alert
        at = (*path, "alert")
        if a.warning is not None and a.warning >= a.critical:
            self.report((*at, "warning"), "error", "warning-not-below-critical",
                        f"warning ({format_ms(a.warning)}) must be below critical "
                        f"({format_ms(a.critical)}): the alert fires when the statistic goes "
                        "above them; lower warning or raise critical")
        lowest = min(a.critical, a.warning) if a.warning is not None else a.critical
        if a.resolve is not None and a.resolve >= lowest:
            which = "warning" if a.warning is not None and a.warning < a.critical else "critical"
            self.report((*at, "resolve"), "error", "resolve-not-below-alert",
                        f"resolve ({format_ms(a.resolve)}) must be below the {which} threshold "
                        f"({format_ms(lowest)}), or the alert could never resolve (Sentry refuses "
                        "it); lower resolve or leave it out to resolve automatically")
        if t.sla is None:
            return
        stat = a.metric or t.sla.statistic()
        if stat != t.sla.statistic():
            return  # different statistics: the values are not comparable
        sla = t.sla.objective_ms()
        if a.critical <= sla:
            self.report((*at, "critical"), "warning", "critical-within-sla",
                        f"critical ({format_ms(a.critical)}) is at or below the SLA "
                        f"({stat} < {format_ms(sla)}): the alert would fire while the SLA still "
                        "holds (noise). Set critical above the SLA, e.g. "
                        f"{format_ms(sla * 1.5)}")
        if a.warning is not None and a.warning <= sla < a.critical:
            self.report((*at, "warning"), "warning", "warning-within-sla",
                        f"warning ({format_ms(a.warning)}) is at or below the SLA "
                        f"({stat} < {format_ms(sla)}): it would fire while the SLA holds; set it "
                        "between the SLA and critical")

    def check_window(self, window: int, dataset: str, path: Path, t: Transaction,
                     defaults: Defaults | None) -> None:
        if window >= MIN_SPAN_WINDOW:
            return
        where = (*path, "window") if "window" in t.model_fields_set else ("defaults", "window")
        text = format_window(window)
        if dataset == "spans":
            self.report(where, "error", "span-window-too-short",
                        f"span alerts need a window of at least 5m (Sentry refuses {text}); "
                        "use `window: 5m` or more")
        else:
            extra = (" With `dataset: auto`, modern Sentry picks spans, which refuses windows "
                     "under 5m." if dataset == "auto" else "")
            self.report(where, "warning", "short-window",
                        f"a {text} window makes noisy alerts that fire on a few slow requests; "
                        f"use 5m or more.{extra}")

    def render_name(self, template: str, values: dict[str, str], path: Path, *, has_sla: bool) -> str | None:
        try:
            fields = [f for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
            specs = [(spec, conv) for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
        except ValueError as exc:
            self.report(path, "error", "bad-template",
                        f"alert name template {template!r} is not valid ({exc}); write literal "
                        "braces as {{ and }}")
            return None
        for f in fields:
            if f not in PLACEHOLDERS:
                guess = did_you_mean(f, list(PLACEHOLDERS))
                hint = f"did you mean {{{guess}}}? " if guess else ""
                self.report(path, "error", "bad-template",
                            f"unknown placeholder {{{f}}} in the alert name; {hint}placeholders: "
                            + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
                return None
            if f == "sla" and not has_sla:
                self.report(path, "error", "bad-template",
                            "the alert name uses {sla} but this transaction has no `sla:`; add "
                            "one or remove {sla}")
                return None
        if any(s or c for s, c in specs):
            self.report(path, "error", "bad-template",
                        "placeholders in the alert name take no format spec (`{critical:>5}`); "
                        "write plain {critical}")
            return None
        name = " ".join(template.format(**values).split())
        if not name:
            self.report(path, "error", "bad-template", "the alert name would be empty")
            return None
        if len(name) > MAX_NAME:
            self.report(path, "error", "name-too-long",
                        f"the alert name is {len(name)} characters; Sentry allows {MAX_NAME} "
                        f"(it starts {name[:40]!r}). Set a shorter `name:` template, e.g. "
                        "'{key}: {metric} latency'")
            return None
        return name

    @staticmethod
    def targets(items: list[NotifyTarget]) -> tuple[Target, ...]:
        out: list[Target] = []
        for item in items:
            if isinstance(item.slack, SlackChannel):
                out.append(SlackTarget(channel=item.slack.channel, channel_id=item.slack.channel_id,
                                       workspace=item.slack.workspace))
            elif item.slack is not None:
                out.append(SlackTarget(channel=item.slack))
            elif item.email is not None:
                kind, _, name = item.email.partition(":")
                out.append(EmailTarget(to=kind, name=name))  # type: ignore[arg-type]
        return sort_targets(out)


def check_invisible(checker: Any, value: Any, path: Path) -> None:
    """Control, bidi and zero-width characters (BEL, ESC, RLO, ZWSP, ...) would reach alert
    names, Sentry, terminals, plans and guides, where they hide or reorder text: an error at
    the value that holds one (tabs and newlines are allowed)."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_invisible(checker, key, (*path, key)) if isinstance(key, str) else None
            check_invisible(checker, item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_invisible(checker, item, (*path, i))
    elif isinstance(value, str):
        bad = next((c for c in value if invisible(c)), None)
        if bad is not None:
            checker.report(path, "error", "invisible-character",
                           f"the text holds the invisible or control character U+{ord(bad):04X} "
                           f"({unicodedata.name(bad, 'a control character')}), which would hide "
                           "or reorder text in alert names, plans and guides; remove it")


def invisible(char: str) -> bool:
    if char in "\t\n":
        return False
    return unicodedata.category(char) in ("Cc", "Cf") or char in "\u2028\u2029"


def check_document(doc: YamlDocument, filename: str) -> Checked:
    return _Checker(doc, filename).run()


__all__ = ["Checked", "check_document", "slug_key", "DEFAULT_NAME_TEMPLATE", "PLACEHOLDERS",
           "OVERRIDABLE"]
