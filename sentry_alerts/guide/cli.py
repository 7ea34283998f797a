"""Command bodies for `guide`, `monitoring-plan`, and the manual-guide fallback of plan/apply.

Kept here (not in cli.py) so the shared CLI module only parses arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sentry_alerts.errors import EXIT_MANUAL_GUIDE, SentryAlertsError

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


def write_fallback_guide(policy: Any, *, guide_dir: Path, reason: str, policy_path: str,
                         plan: Any = None) -> int:
    """The plan/apply fallback: write the guide instead, say so, return exit code 3.

    `plan` is given when the token can read alerts but not write them: only the differences
    are guided, in the UI of the plan's backend."""
    from sentry_alerts.guide import build_guide

    guide = build_guide(policy, plan=plan, policy_path=policy_path, reason=reason)
    written = _write(guide, guide_dir)
    todo = len([p for p in guide.pages if p != "index.md"])
    typer.echo(
        f"No API access: {reason}\n"
        f"Wrote a manual setup guide instead: {guide_dir / 'index.md'} ({len(written)} pages, "
        f"{todo} alert page(s) to follow). Nothing was changed in Sentry.\n"
        f"Exit code {EXIT_MANUAL_GUIDE} means \"manual steps written\"; pass --no-fallback to "
        "get the error instead.", err=True)
    return EXIT_MANUAL_GUIDE


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
