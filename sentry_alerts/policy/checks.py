"""From a YAML document to AlertSpecs: structure, defaults, and the semantic checks.

Every finding is a Diagnostic with the line:col of the key or value concerned. Each transaction
is validated on its own, so one broken entry does not hide the findings of the others.

The structure is read by plain.py where it certainly validates, and by the pydantic models
(models.py) otherwise, which word every structural error (errors_map.py) and validate what is
left of a broken transaction (salvage.py); pydantic is imported only then (issue 11). What
needs the whole transaction, and its AlertSpec, is transaction_spec.py.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sentry_alerts.model import AlertSpec, Target
from sentry_alerts.policy.diagnostics import Diagnostic, Severity
from sentry_alerts.policy.durations import suspicious_bare_number
from sentry_alerts.policy.fields import DATASET_CHOICES
from sentry_alerts.policy.plain import SETTINGS, read_defaults, read_head, read_transaction
from sentry_alerts.policy.templates import DEFAULT_NAME_TEMPLATE, MAX_NAME, PLACEHOLDERS
from sentry_alerts.policy.text_fields import check_text_fields
from sentry_alerts.policy.transaction_spec import build_spec, slug_key
from sentry_alerts.policy.yamltree import Path, YamlDocument

OVERRIDABLE: tuple[str, ...] = SETTINGS  # the keys a transaction inherits from `defaults`


@dataclass
class Checked:
    """What checking one document produced."""

    name: str | None = None
    organization: str | None = None
    dataset: str = "auto"
    specs: list[AlertSpec] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    transactions: int = 0


class Checker:
    """Checks one document; `report` places each finding where the document writes it."""

    def __init__(self, doc: YamlDocument, filename: str) -> None:
        self.doc = doc
        self.filename = filename
        self.out = Checked()
        self.errors = 0  # errors reported so far
        self.defaults_known = True  # False when `defaults` is broken (its errors are reported)
        self.unknown_defaults: frozenset[str] = frozenset()  # default keys with a bad value
        # The Targets of each notify list, by identity: the defaults' list is shared by every
        # transaction that sets none of its own (transaction_spec.notify_targets).
        self.targets_of: dict[int, tuple[list[Any], tuple[Target, ...]]] = {}
        self._defaults_settings: tuple[Any, dict[str, Any]] | None = None

    def defaults_settings(self, defaults: Any) -> dict[str, Any]:
        """The settings `defaults` sets, by name (once per document)."""
        known = self._defaults_settings
        if known is None or known[0] is not defaults:
            given = defaults.model_fields_set if defaults is not None else ()
            known = self._defaults_settings = (
                defaults, {name: getattr(defaults, name) for name in given})
        return known[1]

    def report(self, path: Path, severity: Severity, code: str, message: str, *,
               key: bool = False) -> None:
        line, col = self.doc.where(path, key=key)
        self.out.diagnostics.append(Diagnostic(self.filename, line, col, severity, code, message))
        if severity == "error":
            self.errors += 1

    # -- structure, through pydantic (plain.py declined) --

    def validate(self, model_name: str, data: Any, prefix: Path) -> Any:
        return self._validate(model_name, data, prefix, salvaging=False)[0]

    def validate_salvaging(self, model_name: str, data: Any,
                           prefix: Path) -> tuple[Any, frozenset[str] | None]:
        """Report every error; then (the model, None) when it is valid, (a model of what is
        left, the dropped keys) when only optional keys were wrong, or (None, None)."""
        return self._validate(model_name, data, prefix, salvaging=True)

    def _validate(self, model_name: str, data: Any, prefix: Path,
                  *, salvaging: bool) -> tuple[Any, frozenset[str] | None]:
        from pydantic import ValidationError

        import sentry_alerts.policy.models as models
        from sentry_alerts.policy.errors_map import translate
        from sentry_alerts.policy.salvage import salvage

        model = getattr(models, model_name)
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
    def defaults_quietly(data: Any) -> tuple[Any, bool, frozenset[str]]:
        """`defaults:` (or what is left of it), whether it is known, the keys dropped; nothing
        is reported (the caller reported the errors already)."""
        if data is None:
            return None, True, frozenset()
        plain = read_defaults(data)
        if plain is not None:
            return plain, True, frozenset()
        from pydantic import ValidationError

        from sentry_alerts.policy.models import Defaults
        from sentry_alerts.policy.salvage import salvage

        try:
            return Defaults.model_validate(data, strict=True), True, frozenset()
        except ValidationError as exc:
            partial, dropped = salvage(Defaults, data, exc.errors(include_url=False))  # type: ignore[arg-type]
            return partial, partial is not None, dropped

    # -- the document --

    def run(self) -> Checked:
        data = self.doc.data
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else "a single value"
            self.report((), "error", "wrong-type",
                        f"a policy file is a mapping (`version: 1`, `name: ...`, `transactions: ...`), "
                        f"but this file holds {kind}")
            return self.out
        if not self.doc.printable:
            check_invisible(self, data, ())
        check_text_fields(self, data)  # what each free-text field may hold
        head = read_head(data) or self.validate("PolicyHead", data, ())
        raw_items = data.get("transactions")
        if head is None:
            # Still check the transactions, so one run shows as much as possible. When the
            # defaults themselves are broken (already reported), checks that depend on them
            # (a missing project, no notify target) are skipped rather than guessed.
            defaults, self.defaults_known, self.unknown_defaults = self.defaults_quietly(
                data.get("defaults"))
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

    def check_transactions(self, items: list[Any], defaults: Any, dataset: str,
                           *, policy_name: str) -> None:
        """Every transaction on its own. One with an error is still checked as far as it can
        be (its other keys, its key's uniqueness); only whole, valid ones become specs."""
        self.out.transactions = len(items)
        keys: dict[str, tuple[int, str, bool]] = {}  # key -> (line, transaction, derived)
        names: dict[tuple[str, str], int] = {}  # (project, rendered name) -> line
        no_target: list[Path] = []
        lines = self.doc.item_lines(("transactions",))
        for i, item in enumerate(items):
            path: Path = ("transactions", i)
            line = lines[i] if i < len(lines) else self.doc.where(path)[0]
            self.check_bare_numbers(item, path)
            t, dropped = read_transaction(item), None
            if t is None:
                t, dropped = self.validate_salvaging("Transaction", item, path)
            whole = dropped is None
            raw, key = item if isinstance(item, dict) else {}, None
            given = t.id if t is not None else raw.get("id")
            transaction = t.transaction if t is not None else raw.get("transaction")
            if isinstance(transaction, str) and (given is None or isinstance(given, str)):
                key = slug_key(transaction) if given is None else given
                if key and not self.check_unique_key(key, given is None, transaction, path,
                                                     line, keys):
                    whole = False
            if t is None:
                continue
            spec = build_spec(self, t, path, line, defaults, dataset, policy_name,
                              unknown=dropped or frozenset(), key=key)
            if spec is None or not whole:
                continue
            name_key = (spec.project, spec.name)
            if name_key in names:
                self.report(path, "warning", "duplicate-name",
                            f"the alert name {spec.name!r} is also used at line {names[name_key]} "
                            f"in project {spec.project}; people cannot tell the alerts apart. Set "
                            "`name:` (e.g. '{transaction} ({environment}): {metric} latency')")
            else:
                names[name_key] = line
            if not spec.targets:
                no_target.append(path)
            self.out.specs.append(spec)
        if self.defaults_known and "notify" not in self.unknown_defaults:
            self.report_no_targets(no_target, defaults)

    def check_unique_key(self, key: str, derived: bool, transaction: str, path: Path, line: int,
                         keys: dict[str, tuple[int, str, bool]]) -> bool:
        """The transaction's key (its `id`, or `derived` from its name; read from the raw item
        when the transaction has other errors) is not used before. False on a duplicate."""
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
                if key == "metric" or (type(value) is str and value[-1:].isalpha()):
                    continue  # `750ms`: a unit (the usual case, without a call)
                number = suspicious_bare_number(value)
                if number is not None:
                    shown = f"{number:g}"
                    self.report((*path, section, key), "warning", "bare-number",
                                f"{shown} ms? A number without a unit means milliseconds: write "
                                f"{shown}s if you meant seconds (or {shown}ms to say it is "
                                "milliseconds)")

    def report_no_targets(self, paths: list[Path], defaults: Any) -> None:
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


def check_invisible(checker: Checker, value: Any, path: Path) -> None:
    """Control, bidi and zero-width characters (BEL, ESC, RLO, ZWSP, ...) would reach alert
    names, Sentry, terminals, plans and guides, where they hide or reorder text: an error at
    the value that holds one (tabs and newlines are allowed). A key's finding is placed at its
    value, as the value's own is."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not key.isprintable():
                _report_invisible(checker, key, (*path, key))
            if isinstance(item, str):
                if not item.isprintable():  # printable text holds none: the usual case, in C
                    _report_invisible(checker, item, (*path, key))
            elif isinstance(item, dict | list):
                check_invisible(checker, item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                if not item.isprintable():
                    _report_invisible(checker, item, (*path, i))
            elif isinstance(item, dict | list):
                check_invisible(checker, item, (*path, i))
    elif isinstance(value, str) and not value.isprintable():
        _report_invisible(checker, value, path)


def _report_invisible(checker: Checker, text: str, path: Path) -> None:
    bad = next((c for c in text if invisible(c)), None)
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
    return Checker(doc, filename).run()


__all__ = ["DEFAULT_NAME_TEMPLATE", "MAX_NAME", "OVERRIDABLE", "PLACEHOLDERS", "Checked",
           "Checker", "check_document", "slug_key"]
