"""Load a policy file into a `Policy`: the public entry point of the policy package."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

from sentry_alerts.errors import PolicyError
from sentry_alerts.gc_pause import paused_gc
from sentry_alerts.model import AlertSpec
from sentry_alerts.policy.checks import check_document
from sentry_alerts.policy.diagnostics import Diagnostic
from sentry_alerts.policy.yamltree import DEFAULT_MAX_MB, read_yaml, too_large


def max_policy_bytes() -> int:
    """The size limit for policy files: SENTRY_ALERTS_MAX_POLICY_MB (which `--max-policy-mb`
    sets), else DEFAULT_MAX_MB. Raises PolicyError when it is not a number of MB above 0."""
    given = os.environ.get("SENTRY_ALERTS_MAX_POLICY_MB", "").strip()
    if not given:
        return DEFAULT_MAX_MB * 1_048_576
    try:
        mb = float(given)
    except ValueError:
        mb = math.nan
    if not math.isfinite(mb) or mb <= 0:
        raise PolicyError(
            f"the policy size limit {given!r} (SENTRY_ALERTS_MAX_POLICY_MB or --max-policy-mb) "
            "is not a number of MB above 0; write e.g. 32 for policy files up to 32 MB, or "
            f"leave it unset for the default, {DEFAULT_MAX_MB} MB.")
    return max(1, int(mb * 1_048_576))


@dataclass(frozen=True)
class Policy:
    name: str  # policy id
    organization: str | None
    dataset: str  # "auto" | "spans" | "metrics" | "transactions"
    specs: tuple[AlertSpec, ...]  # one per transaction, defaults applied
    path: str  # file path as given
    content_hash: str  # "sha256:<hex>" of the file bytes
    warnings: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class CheckResult:
    """Everything `validate` needs about one file; `policy` is None when there are errors."""

    path: str
    policy: Policy | None
    diagnostics: tuple[Diagnostic, ...]
    transactions: int

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")


def check_bytes(raw: bytes, filename: str, *, max_bytes: int | None = None) -> CheckResult:
    """Check a policy's bytes; never raises for anything the file holds. `max_bytes`: the size
    limit (by default `max_policy_bytes()`, which raises PolicyError when it is set wrong)."""
    limit = max_policy_bytes() if max_bytes is None else max_bytes
    with paused_gc():  # a burst of long-lived objects: see gc_pause.py
        return _check_bytes(raw, filename, limit)


def _check_bytes(raw: bytes, filename: str, limit: int) -> CheckResult:
    content_hash = "sha256:" + hashlib.sha256(raw).hexdigest()
    doc, diagnostics = read_yaml(raw, filename, max_bytes=limit)
    if doc is None:
        return CheckResult(filename, None, tuple(diagnostics), 0)
    # A document may come with errors (a duplicate key): every other check still runs, so one
    # run reports every problem it can.
    checked = check_document(doc, filename)
    # dict.fromkeys: one default shared by many transactions is reported once.
    found = tuple(sorted(dict.fromkeys([*diagnostics, *checked.diagnostics]),
                         key=lambda d: (d.line, d.col)))
    policy = None
    if not any(d.severity == "error" for d in found) and checked.name is not None:
        policy = Policy(
            name=checked.name,
            organization=checked.organization,
            dataset=checked.dataset,
            specs=tuple(checked.specs),
            path=filename,
            content_hash=content_hash,
            warnings=found,
        )
    return CheckResult(filename, policy, found, checked.transactions)


def read_policy_bytes(path: str | Path, *, max_bytes: int | None = None
                      ) -> tuple[bytes | None, Diagnostic | None]:
    """The file's bytes, or a diagnostic saying why they cannot be read. `max_bytes`: the size
    limit (by default `max_policy_bytes()`)."""
    limit = max_policy_bytes() if max_bytes is None else max_bytes
    name = str(path)
    p = Path(path)

    def problem(code: str, message: str) -> tuple[None, Diagnostic]:
        return None, Diagnostic(name, 1, 1, "error", code, message)

    try:
        if not p.exists():
            return problem("not-found", "no such file or folder; check the path")
        if p.is_dir():
            return problem("is-a-folder", "this is a folder; give a policy file (.yaml or .yml)")
        if not p.is_file():
            return problem("not-a-file", "this is not a regular file (a device, a pipe or a "
                                         "socket); give a policy file (.yaml or .yml)")
        size = p.stat().st_size
        if size > limit:
            return problem("file-too-large", too_large(size, limit))
        with p.open("rb") as fh:  # capped: the file may grow while it is read
            raw = fh.read(limit + 1)
        if len(raw) > limit:
            return problem("file-too-large", too_large(None, limit))
        return raw, None
    except PermissionError:
        return problem("unreadable", "permission denied; check the file's permissions")
    except OSError as exc:
        return problem("unreadable", f"cannot read the file: {exc.strerror or exc}")


def check_path(path: str | Path) -> CheckResult:
    limit = max_policy_bytes()
    raw, problem = read_policy_bytes(path, max_bytes=limit)
    if raw is None:
        assert problem is not None
        return CheckResult(str(path), None, (problem,), 0)
    return check_bytes(raw, str(path), max_bytes=limit)


def _raise_or_return(result: CheckResult) -> Policy:
    if result.policy is None:
        errors = result.errors or result.diagnostics
        lines = "\n".join(d.format() for d in errors)
        count = len(errors)
        raise PolicyError(
            f"policy {result.path} has {count} error{'s' if count != 1 else ''}; fix "
            f"{'them' if count != 1 else 'it'} and retry "
            f"(`sentry-alerts validate {result.path}` shows warnings too):\n{lines}"
        )
    return result.policy


def load_policy(path: str | Path) -> Policy:
    """Load and check a policy file. Raises PolicyError listing every error; warnings are in
    `policy.warnings`."""
    return _raise_or_return(check_path(path))


def load_policy_text(text: str, filename: str = "<string>") -> Policy:
    """Like load_policy, for a policy held in a string."""
    return _raise_or_return(check_bytes(text.encode("utf-8"), filename))
