"""Command bodies for `guide`, `monitoring-plan`, and the manual-guide fallback of plan/apply.

Kept here (not in cli.py) so the shared CLI module only parses arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sentry_alerts.errors import EXIT_MANUAL_GUIDE, AuthError, SentryAlertsError

DEFAULT_GUIDE_DIR = Path("sentry-alerts-guide")


def _check_ui(ui: str) -> str:
    from sentry_alerts.guide import UI_CHOICES

    if ui not in UI_CHOICES:
        raise SentryAlertsError(
            f"--ui {ui!r} is not a UI sentry-alerts writes guides for; use alerts (the legacy "
            "Alerts UI), monitors (the Monitors & Alerts UI) or both.")
    return ui


def _write(guide: Any, out: Path) -> list[Path]:
    try:
        return guide.write(out)
    except OSError as exc:
        raise SentryAlertsError(
            f"cannot write the guide to {out} ({exc.strerror or exc}); choose another folder "
            "with --out / --guide-dir.") from None


def run_guide(policy_path: Path, *, out: Path, ui: str) -> int:
    from sentry_alerts.guide import build_guide
    from sentry_alerts.monitoring_plan import display_path
    from sentry_alerts.policy import load_policy

    _check_ui(ui)
    policy = load_policy(policy_path)
    for warning in policy.warnings:
        typer.echo(warning.format(), err=True)
    guide = build_guide(policy, ui=ui, policy_path=display_path(policy_path))
    written = _write(guide, out)
    typer.echo(f"Wrote the manual setup guide ({len(written)} pages) to {out}/. "
               f"Start with {out / 'index.md'}.")
    return 0


def write_fallback_guide(policy: Any, *, guide_dir: Path, headline: str, reason: str,
                         policy_path: str, plan: Any = None) -> int:
    """The plan/apply fallback: write the guide instead, say so, return exit code 3.

    `plan` is given when the token can read alerts but not write them: only the differences
    are guided, in the UI of the plan's backend."""
    from sentry_alerts.guide import build_guide

    guide = build_guide(policy, plan=plan, policy_path=policy_path, reason=reason)
    written = _write(guide, guide_dir)
    todo = len([p for p in guide.pages if p != "index.md"])
    typer.echo(
        f"{headline}: {reason}\n"
        f"Wrote a manual setup guide instead: {guide_dir / 'index.md'} ({len(written)} pages, "
        f"{todo} alert page(s) to follow).\n"
        f"Exit code {EXIT_MANUAL_GUIDE} means \"manual steps written\"; pass --no-fallback to "
        "get the error instead.", err=True)
    return EXIT_MANUAL_GUIDE


def guide_instead(policy_path: Path, error: AuthError, *, guide_dir: Path) -> int:
    """plan/apply could not use the API at all (no token, 401, 403): the full guide."""
    from sentry_alerts.monitoring_plan import display_path
    from sentry_alerts.policy import load_policy

    policy = load_policy(policy_path)
    return write_fallback_guide(
        policy, guide_dir=guide_dir, headline="No API access, nothing was changed in Sentry",
        reason=error.message, policy_path=display_path(policy_path))


class WriteWatch:
    """A backend wrapper that records the auth errors (401/403) of writes.

    A token that can read alerts but not write them gets through `plan`; `apply` then sees
    each write refused. Recording those lets the fallback guide exactly the changes that
    were not applied."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.name = backend.name
        self.denied: list[AuthError] = []

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._backend, attr)

    def _watch(self, method: str, alert: Any) -> Any:
        try:
            return getattr(self._backend, method)(alert)
        except AuthError as exc:
            self.denied.append(exc)  # list.append is atomic: safe from apply's threads
            raise

    def create(self, alert: Any) -> Any:
        return self._watch("create", alert)

    def update(self, alert: Any) -> Any:
        return self._watch("update", alert)

    def delete(self, alert: Any) -> Any:
        return self._watch("delete", alert)


def guide_for_refused_writes(planned: Any, result: Any, watch: WriteWatch, *,
                             guide_dir: Path, policy_path: Path) -> int:
    """apply's writes were refused (read-only token): guide what the plan says is still to do."""
    from dataclasses import replace

    from sentry_alerts.monitoring_plan import display_path

    done = {id(o.change) for o in result.outcomes if o.ok}
    remaining = replace(planned.plan,
                        changes=tuple(c for c in planned.plan.changes if id(c) not in done))
    first = watch.denied[0]
    reason = ("the token can read alerts but Sentry refused to change them "
              f"(HTTP {first.status or 403}): {first.message}")
    return write_fallback_guide(
        planned.policy, guide_dir=guide_dir,
        headline=("Apply could not finish" if done else "Nothing was changed in Sentry"),
        reason=reason,
        policy_path=display_path(policy_path), plan=remaining)


def run_monitoring_plan(policy_path: Path, *, out: Path) -> int:
    from sentry_alerts.monitoring_plan import display_path, write_monitoring_plan
    from sentry_alerts.policy import load_policy

    policy = load_policy(policy_path)
    try:
        path = write_monitoring_plan(policy, out, source=display_path(policy_path))
    except OSError as exc:
        raise SentryAlertsError(
            f"cannot write the monitoring plan to {out} ({exc.strerror or exc}); choose another "
            "file with --out.") from None
    typer.echo(f"Wrote the monitoring plan for policy {policy.name} to {path}.")
    return 0
