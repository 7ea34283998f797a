"""The `plan` command's body, and what `apply` shares with it: making the plan (or the manual
guide when there is no API access), the policy's warnings, the error for an incomplete
listing, the connection options.

cli.py parses the arguments and calls `run_plan`; heavy modules (the plan, the renderers,
requests) are imported inside the functions, when the command runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer

from sentry_alerts.cli_options import check_backend
from sentry_alerts.errors import EXIT_CHANGES, AuthError, SentryAlertsError

T = TypeVar("T")

# Plans for reviewers (issue 5): output formats.
PLAN_FORMATS = ("text", "markdown", "json")


def _render_plan(the_plan: object, fmt: str) -> str:
    if fmt == "markdown":
        from sentry_alerts.render.markdown import render_markdown

        return render_markdown(the_plan)  # type: ignore[arg-type]
    if fmt == "json":
        from sentry_alerts.render.json_view import render_json

        return render_json(the_plan)  # type: ignore[arg-type]
    from sentry_alerts.render.text import render_plan

    return render_plan(the_plan, color=colour())  # type: ignore[arg-type]


def incomplete_listing(the_plan: object, what: str) -> SentryAlertsError:
    skipped = (" Pruning was skipped: nothing is deleted after an incomplete listing."
               if getattr(the_plan, "prune", False) else "")
    return SentryAlertsError(f"the list of live alerts was incomplete, so {what}.{skipped}")


def connect_options(retry_budget: int, ca_bundle: Path | None,
                    timeout: int) -> dict[str, object]:
    if timeout < 1:
        raise SentryAlertsError(f"--timeout must be at least 1 second, not {timeout}.")
    options: dict[str, object] = {"retry_budget": max(0, retry_budget),
                                  "command_timeout": float(timeout)}
    if ca_bundle is not None:
        options["ca_bundle"] = str(ca_bundle)
    return options


def plan_or_guide(make_plan: Callable[[], T], *, policy_path: Path, guide_dir: Path,
                  no_fallback: bool) -> T | int:
    """Make the plan; without API access (no token, 401, 403) write the manual guide instead
    and return its exit code (3), unless --no-fallback."""
    try:
        return make_plan()
    except AuthError as exc:
        if no_fallback:
            raise
        from sentry_alerts.guide.cli import guide_instead

        return guide_instead(policy_path, exc, guide_dir=guide_dir)


def show_policy_warnings(policy: object) -> None:
    """The policy's warnings (as `validate` shows them) go to stderr; they never stop a plan."""
    for diagnostic in getattr(policy, "warnings", ()):
        typer.echo(diagnostic.format(), err=True)


def colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run_plan(policy: Path, *, fmt: str, out: Path | None, detailed_exitcode: bool,
             backend: str, adopt: bool, prune: bool, token: str | None, url: str,
             org: str | None, insecure: bool, ca_bundle: Path | None, retry_budget: int,
             timeout: int, guide_dir: Path, no_fallback: bool) -> int:
    """Show what apply would change (and save the plan with `out`); the exit code."""
    from sentry_alerts.plan import plan_policy
    from sentry_alerts.saved_plan import is_saved_plan

    if fmt not in PLAN_FORMATS:
        raise SentryAlertsError(f"unknown --format {fmt!r}; use one of "
                                f"{', '.join(PLAN_FORMATS)}.")
    if is_saved_plan(policy):
        raise SentryAlertsError(f"{policy} is a saved plan, not a policy file: apply it with "
                                f"`sentry-alerts apply {policy}`, or plan its policy file.")
    from sentry_alerts.terminal import StatusLine

    progress = StatusLine()
    planned = plan_or_guide(
        lambda: plan_policy(str(policy), token=token, url=url, org=org,
                            backend=check_backend(backend), adopt=adopt,
                            insecure=insecure, progress=progress, prune=prune,
                            connect_options=connect_options(retry_budget, ca_bundle, timeout)),
        policy_path=policy, guide_dir=guide_dir, no_fallback=no_fallback)
    if isinstance(planned, int):
        return planned
    progress.clear()
    show_policy_warnings(planned.policy)
    typer.echo(_render_plan(planned.plan, fmt), nl=False)
    if not planned.plan.listing_complete:
        raise incomplete_listing(planned.plan, "this plan may be wrong"
                                 + (" and was not saved" if out else "") + "; run plan again")
    if out is not None:
        from sentry_alerts.saved_plan import save_plan

        save_plan(planned.plan, out)
        typer.echo(f"Saved the plan to {out}; `sentry-alerts apply {out}` applies exactly "
                   "it (or refuses if anything changed since).", err=True)
    return EXIT_CHANGES if detailed_exitcode and planned.plan.has_changes else 0
