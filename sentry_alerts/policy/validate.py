"""`sentry-alerts validate PATH...`: check policy files offline and report every finding.

Text: one `file:line:col: severity: message [code]` line per finding, then a one-line summary.
JSON (`--format json`): the stable document described in docs/policy-reference.md.
Exit 0 when there are no errors (warnings are printed), 1 otherwise; --strict fails on warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from sentry_alerts.errors import EXIT_ERROR, EXIT_OK, SentryAlertsError
from sentry_alerts.policy.diagnostics import Diagnostic
from sentry_alerts.policy.loader import CheckResult, check_path, max_policy_bytes

JSON_FORMAT_VERSION = 1
POLICY_SUFFIXES = (".yaml", ".yml")
BACKENDS = ("auto", "alert-rules", "monitors")
# Sentry's legacy serializer refuses a trigger without an action
# (src/sentry/incidents/serializers/alert_rule.py, notes §5.2); monitors accept one.
LEGACY_NEEDS_ACTION = ("the legacy alert rules API refuses an alert without a notify target "
                       "(Sentry: \"Each trigger must have an associated action for this alert to "
                       "fire.\"); ")


def find_policy_files(paths: Iterable[str | Path]) -> list[CheckResult | Path]:
    """Files to check, in a stable order; folders are searched recursively for *.yaml/*.yml
    (hidden folders such as .git are skipped). Problems become CheckResults with an error."""
    found: list[CheckResult | Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            files = sorted(
                f for f in p.rglob("*")
                if f.suffix.lower() in POLICY_SUFFIXES and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not files:
                found.append(CheckResult(str(p), None, (Diagnostic(
                    str(p), 1, 1, "error", "no-policy-files",
                    "this folder holds no .yaml or .yml files; give a policy file or a folder "
                    "that contains some"),), 0))
            found.extend(files)
        else:
            found.append(p)
    return found


def run_validate(paths: Iterable[str | Path], *, strict: bool = False, fmt: str = "text",
                 out: TextIO, backend: str = "auto") -> int:
    """`backend`: the Sentry API the policy will be applied with, where its rules differ
    (alert-rules: an alert without a notify target is an error, not a warning)."""
    if fmt not in ("text", "json"):
        raise SentryAlertsError(f"--format must be `text` or `json`, not {fmt!r}")
    if backend not in BACKENDS:
        raise SentryAlertsError(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    max_policy_bytes()  # a wrong SENTRY_ALERTS_MAX_POLICY_MB is one error, not one per file
    paths = list(paths)
    if not paths:
        raise SentryAlertsError("give at least one policy file or folder, e.g. "
                                "`sentry-alerts validate policies/`")
    results = [for_backend(item if isinstance(item, CheckResult) else _check_safely(item),
                           backend)
               for item in find_policy_files(paths)]
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    failed = errors > 0 or (strict and warnings > 0)
    if fmt == "json":
        out.write(json.dumps(_json_report(results, strict, failed), indent=2) + "\n")
    else:
        for r in results:
            for d in r.diagnostics:
                out.write(d.format() + "\n")
        out.write(_summary(results, errors, warnings, strict, failed) + "\n")
    return EXIT_ERROR if failed else EXIT_OK


def validate_command(paths: list[Path], *, strict: bool, fmt: str, backend: str,
                     out: TextIO) -> int:
    """The `validate` command's body (cli.py and console.py run it): run_validate, after
    refusing a path that is a flag's value (`--strict true`)."""
    for path in paths:
        if str(path).lower() in ("true", "false", "yes", "no") and not path.exists():
            raise SentryAlertsError(
                f"{str(path)!r} is not a policy file: flags such as --strict take no value. "
                "Write `sentry-alerts validate --strict PATH`.")
    return run_validate(paths, strict=strict, fmt=fmt, out=out, backend=backend)


def for_backend(result: CheckResult, backend: str) -> CheckResult:
    """The findings as the given backend sees them: on alert-rules, `no-notify` is an error."""
    if backend != "alert-rules":
        return result
    diagnostics = tuple(
        replace(d, severity="error", message=LEGACY_NEEDS_ACTION + d.message)
        if d.code == "no-notify" else d for d in result.diagnostics)
    return replace(result, diagnostics=diagnostics)


def _check_safely(path: Path) -> CheckResult:
    """check_path, with a bug in our own checks reported as a finding rather than a traceback."""
    try:
        return check_path(path)
    except Exception as exc:  # noqa: BLE001 - the last line of defence; tests fuzz check_path itself
        return CheckResult(str(path), None, (Diagnostic(
            str(path), 1, 1, "error", "internal-error",
            f"sentry-alerts failed while checking this file ({type(exc).__name__}: {exc}); this is "
            "a bug in sentry-alerts, please report it with the file"),), 0)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(results: list[CheckResult], errors: int, warnings: int, strict: bool,
             failed: bool) -> str:
    transactions = sum(r.transactions for r in results)
    checked = f"{_plural(len(results), 'file')}, {_plural(transactions, 'transaction')}"
    verdict = "FAILED" if failed else "ok"
    strict_note = " (--strict: warnings count as errors)" if strict and warnings and not errors else ""
    return (f"{verdict}: checked {checked}: {_plural(errors, 'error')}, "
            f"{_plural(warnings, 'warning')}{strict_note}")


def _json_report(results: list[CheckResult], strict: bool, failed: bool) -> dict[str, object]:
    return {
        "format_version": JSON_FORMAT_VERSION,
        "ok": not failed,
        "strict": strict,
        "files": [
            {
                "path": r.path,
                "ok": not r.errors and not (strict and r.warnings),
                "policy": r.policy.name if r.policy else None,
                "transactions": r.transactions,
                "errors": len(r.errors),
                "warnings": len(r.warnings),
            }
            for r in results
        ],
        "diagnostics": [d.to_json() for r in results for d in r.diagnostics],
        "summary": {
            "files": len(results),
            "transactions": sum(r.transactions for r in results),
            "errors": sum(len(r.errors) for r in results),
            "warnings": sum(len(r.warnings) for r in results),
        },
    }
