"""The `drift` command: parse arguments, call the library (drift/run.py).

`register_commands(app, run_command)` adds it to the main app; `run_command` (errors as one
paragraph and an exit code) is passed in, so this module does not import the main CLI. Only
typer is imported here; sentry_sdk only inside the command, and only with a DSN.
"""

# No `from __future__ import annotations`: typer would compile and evaluate each option's
# annotation string on every start (about 8 ms for this module); real objects cost nothing.
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sentry_alerts.cli_help import PlainCommand
from sentry_alerts.cli_options import RetryBudgetOpt, VerboseOpt, check_backend

RunCommand = Callable[..., None]  # cli_runner.run_command(body, verbose=...)


def register_commands(app: typer.Typer, run_command: RunCommand) -> None:
    @app.command("drift", cls=PlainCommand)
    def drift(
        policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The policy file.")],
        fmt: Annotated[str, typer.Option(
            "--format", metavar="FORMAT", help="text (default), markdown or json (docs/plan-format.md).")
        ] = "text",
        backend: Annotated[str, typer.Option(
            "--backend", metavar="BACKEND", help="auto (monitors where the server has them, else the legacy alert "
            "rules), alert-rules, or monitors.")] = "auto",
        token: Annotated[str | None, typer.Option(
            "--token", envvar="SENTRY_AUTH_TOKEN", show_envvar=True, show_default=False,
            metavar="TOKEN", help="Sentry auth token (org:read and alerts:read suffice).")] = None,
        url: Annotated[str, typer.Option(
            "--url", envvar="SENTRY_URL", show_envvar=True, metavar="URL",
            help="Sentry base URL.")
        ] = "https://sentry.io/",
        org: Annotated[str | None, typer.Option(
            "--org", envvar="SENTRY_ORG", show_envvar=True, metavar="SLUG",
            help="Organization slug (overrides the policy's `organization`).")] = None,
        insecure: Annotated[bool, typer.Option(
            "--insecure", help="Allow plain http:// to hosts other than this machine.")] = False,
        monitor_dsn: Annotated[str | None, typer.Option(
            "--monitor-dsn", envvar="SENTRY_ALERTS_DSN", show_envvar=True, show_default=False,
            metavar="DSN",
            help="Report this job to Sentry (Crons check-ins, drift events, crashes) with this "
            "DSN. Not SENTRY_DSN, which is your application's. Without it nothing is sent.")
        ] = None,
        monitor_slug: Annotated[str | None, typer.Option(
            "--monitor-slug", show_default=False, metavar="SLUG",
            help="The cron monitor's slug (default: sentry-alerts-drift-<policy file name>).")
        ] = None,
        monitor_schedule: Annotated[str | None, typer.Option(
            "--monitor-schedule", show_default=False, metavar="SCHEDULE",
            help="How often this job runs, for the cron monitor: a crontab line ('*/30 * * * *') "
            "or an interval (30m, 1h, 1d); default hourly.")] = None,
        verbose: VerboseOpt = False,
        retry_budget: RetryBudgetOpt = 120,
    ) -> None:
        """Exit 0 when Sentry matches the policy, 2 with the diff when it drifted, 1 on errors."""

        def body() -> int:
            from sentry_alerts.drift.run import run_drift

            check_backend(backend)
            return run_drift(policy, fmt=fmt, backend=backend, token=token, url=url, org=org,
                             insecure=insecure, monitor_dsn=monitor_dsn,
                             monitor_slug=monitor_slug, monitor_schedule=monitor_schedule,
                             stdout=sys.stdout, stderr=sys.stderr,
                             connect_options={"retry_budget": max(0, retry_budget)})

        run_command(body, verbose=verbose)
