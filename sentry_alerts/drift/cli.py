"""The `drift` command: parse arguments, call the library (drift/run.py).

`register_commands(app, run_command)` adds it to the main app; `run_command` (errors as one
paragraph and an exit code) is passed in, so this module does not import the main CLI. Only
typer is imported here; sentry_sdk only inside the command, and only with a DSN.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

RunCommand = Callable[[Callable[[], int | None]], None]
BACKENDS = ("auto", "alert-rules", "monitors")


def register_commands(app: typer.Typer, run_command: RunCommand) -> None:
    @app.command("drift")
    def drift(
        policy: Annotated[Path, typer.Argument(help="The policy file.")],
        fmt: Annotated[str, typer.Option(
            "--format", help="text (default), markdown or json (docs/plan-format.md).")
        ] = "text",
        backend: Annotated[str, typer.Option(
            "--backend", help="auto (monitors where the server has them, else the legacy alert "
            "rules), alert-rules, or monitors.")] = "auto",
        token: Annotated[str | None, typer.Option(
            "--token", envvar="SENTRY_AUTH_TOKEN", show_envvar=True, show_default=False,
            help="Sentry auth token (org:read and alerts:read suffice).")] = None,
        url: Annotated[str, typer.Option(
            "--url", envvar="SENTRY_URL", show_envvar=True, help="Sentry base URL.")
        ] = "https://sentry.io/",
        org: Annotated[str | None, typer.Option(
            "--org", envvar="SENTRY_ORG", show_envvar=True,
            help="Organization slug (overrides the policy's `organization`).")] = None,
        insecure: Annotated[bool, typer.Option(
            "--insecure", help="Allow plain http:// to hosts other than this machine.")] = False,
        monitor_dsn: Annotated[str | None, typer.Option(
            "--monitor-dsn", envvar="SENTRY_ALERTS_DSN", show_envvar=True, show_default=False,
            help="Report this job to Sentry (Crons check-ins, drift events, crashes) with this "
            "DSN. Not SENTRY_DSN, which is your application's. Without it nothing is sent.")
        ] = None,
        monitor_slug: Annotated[str | None, typer.Option(
            "--monitor-slug", show_default=False,
            help="The cron monitor's slug (default: sentry-alerts-drift-<policy file name>).")
        ] = None,
        monitor_schedule: Annotated[str | None, typer.Option(
            "--monitor-schedule", show_default=False,
            help="How often this job runs, for the cron monitor: a crontab line ('*/30 * * * *') "
            "or an interval (30m, 1h, 1d); default hourly.")] = None,
    ) -> None:
        """Exit 0 when Sentry matches the policy, 2 with the diff when it drifted, 1 on errors."""

        def body() -> int:
            from sentry_alerts.drift.run import run_drift
            from sentry_alerts.errors import SentryAlertsError

            if backend not in BACKENDS:
                raise SentryAlertsError(f"unknown --backend {backend!r}; use one of "
                                        f"{', '.join(BACKENDS)}.")
            return run_drift(policy, fmt=fmt, backend=backend, token=token, url=url, org=org,
                             insecure=insecure, monitor_dsn=monitor_dsn,
                             monitor_slug=monitor_slug, monitor_schedule=monitor_schedule,
                             stdout=sys.stdout, stderr=sys.stderr)

        run_command(body)
