"""The `sentry-alerts` command line: parses arguments and calls the library.

Heavy modules (pydantic, requests, sentry_sdk, the emulator) are imported inside the commands,
so that `sentry-alerts --help` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from sentry_alerts.errors import EXIT_ERROR, SentryAlertsError

app = typer.Typer(
    name="sentry-alerts",
    help="Keep Sentry's performance alerts in code: validate, plan, apply, or write a manual guide.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")

# Shared options. The token is read from the environment or the flag and never echoed.
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="SENTRY_AUTH_TOKEN", show_envvar=True, show_default=False,
                 help="Sentry auth token (needs org:read and alerts:write)."),
]
UrlOpt = Annotated[
    str,
    typer.Option("--url", envvar="SENTRY_URL", show_envvar=True,
                 help="Sentry base URL; for sentry.io the org's region is found automatically."),
]
OrgOpt = Annotated[
    str | None,
    typer.Option("--org", envvar="SENTRY_ORG", show_envvar=True,
                 help="Organization slug (overrides the policy's `organization`)."),
]
DEFAULT_URL = "https://sentry.io/"


def run_command(fn: Callable[[], int | None]) -> None:
    """Run a command body: user-facing errors become `error: ...` and an exit code, never a
    traceback."""
    try:
        code = fn() or 0
    except SentryAlertsError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted; nothing further was sent to Sentry.", err=True)
        raise typer.Exit(130) from None
    raise typer.Exit(code)


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Policy files or folders (searched recursively).")],
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Check policy files offline: syntax, types, keys, durations, windows, thresholds."""

    def body() -> int:
        from sentry_alerts.policy.validate import run_validate

        return run_validate(paths, strict=strict, fmt=fmt, out=sys.stdout)

    run_command(body)


@app.command()
def schema() -> None:
    """Print the policy file's JSON Schema (for editors and yaml-language-server)."""

    def body() -> int:
        from sentry_alerts.policy.schema import schema_json

        typer.echo(schema_json())
        return 0

    run_command(body)


# --- emulator and demo commands ---


@app.command()
def emulator(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 = a free one).")] = 8765,
    profile: Annotated[str, typer.Option(
        "--profile", help="saas-2026 (default), saas-2026-05, self-hosted-25, self-hosted-26.7.")
    ] = "saas-2026",
    seed: Annotated[Path | None, typer.Option("--seed", help="Seed YAML/JSON (org, projects, "
                                              "Slack, tokens, alerts).")] = None,
    state: Annotated[Path | None, typer.Option("--state", help="Keep state in this JSON file "
                                               "across restarts.")] = None,
    slack_delay: Annotated[float, typer.Option("--slack-delay", help="Seconds an async Slack "
                                               "lookup stays pending.")] = 2.0,
) -> None:
    """Run a local Sentry emulator (alert rules, monitors, lookups) until Ctrl-C."""

    def body() -> int:
        from sentry_alerts.emulator.server import serve

        return serve(port=port, profile=profile, seed=seed, state_file=state,
                     slack_task_delay=slack_delay)

    run_command(body)


# --- plan and apply commands ---


# --- guide and monitoring-plan commands ---


@app.command()
def guide(
    policy: Annotated[Path, typer.Argument(help="The policy file.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the Markdown pages.")] = Path(
        "sentry-alerts-guide"),
    ui: Annotated[str, typer.Option("--ui", help="alerts (legacy UI), monitors (new UI) or "
                                    "both.")] = "both",
) -> None:
    """Write a step-by-step Markdown guide for creating the policy's alerts in Sentry's UI."""

    def body() -> int:
        from sentry_alerts.guide.cli import run_guide

        return run_guide(policy, out=out, ui=ui)

    run_command(body)


@app.command("monitoring-plan")
def monitoring_plan(
    policy: Annotated[Path, typer.Argument(help="The policy file.")],
    out: Annotated[Path, typer.Option("--out", help="The Markdown file to write.")] = Path(
        "docs/performance/continuous-monitoring-plan.md"),
) -> None:
    """Write the continuous monitoring plan (SLAs, thresholds, who is notified, what to do)."""

    def body() -> int:
        from sentry_alerts.guide.cli import run_monitoring_plan

        return run_monitoring_plan(policy, out=out)

    run_command(body)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
