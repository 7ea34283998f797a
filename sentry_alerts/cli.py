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

from sentry_alerts.errors import EXIT_ERROR, AuthError, SentryAlertsError

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


@app.command()
def demo(
    profile: Annotated[str | None, typer.Option(
        "--profile", help="Emulator profile: saas-2026 (default), saas-2026-05, self-hosted-25, "
        "self-hosted-26.7.")] = None,
) -> None:
    """Try sentry-alerts against an embedded Sentry emulator: validate, plan, apply, drift."""

    def body() -> int:
        from sentry_alerts.demo import run_demo

        return run_demo(profile=profile)

    run_command(body)


# --- plan and apply commands ---

BACKENDS = ("auto", "alert-rules", "monitors")
BackendOpt = Annotated[
    str,
    typer.Option("--backend", help="auto (monitors where the server has them, else the legacy "
                 "alert rules), alert-rules, or monitors."),
]
AdoptOpt = Annotated[
    bool,
    typer.Option("--adopt", help="Take over unmanaged alerts that have the name of a desired "
                 "one (writes the ownership marker) instead of reporting a conflict."),
]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", help="Allow plain http:// to hosts other than this machine."),
]
# Manual-guide fallback (issue 6): no token, or Sentry refuses it (401/403) -> guide, exit 3.
GuideDirOpt = Annotated[
    Path, typer.Option("--guide-dir", help="Where to write the manual setup guide when there is "
                       "no API access (exit code 3).")]
NoFallbackOpt = Annotated[
    bool, typer.Option("--no-fallback", help="Fail instead of writing a manual setup guide when "
                       "there is no API access.")]


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise SentryAlertsError(f"unknown --backend {backend!r}; use one of {', '.join(BACKENDS)}.")
    return backend


class _Progress:
    """Slow steps (a Slack lookup Sentry runs in the background) report on stderr: in place on
    a terminal (cleared before the plan is printed), else each kind of message once."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.seen: set[str] = set()
        self.shown = False

    def __call__(self, message: str) -> None:
        import re

        if self.tty:
            sys.stderr.write("\r\033[K" + message)
            sys.stderr.flush()
            self.shown = True
            return
        kind = re.sub(r"\d+", "#", message)
        if kind not in self.seen:
            self.seen.add(kind)
            typer.echo(message, err=True)

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


def _show_policy_warnings(policy: object) -> None:
    """The policy's warnings (as `validate` shows them) go to stderr; they never stop a plan."""
    for diagnostic in getattr(policy, "warnings", ()):
        typer.echo(diagnostic.format(), err=True)


def _colour() -> bool:
    import os

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@app.command()
def plan(
    policy: Annotated[Path, typer.Argument(help="The policy file.")],
    detailed_exitcode: Annotated[bool, typer.Option(
        "--detailed-exitcode", help="Exit 0 when Sentry matches the policy, 2 when there are "
        "changes, 1 on errors.")] = False,
    backend: BackendOpt = "auto",
    adopt: AdoptOpt = False,
    token: TokenOpt = None,
    url: UrlOpt = DEFAULT_URL,
    org: OrgOpt = None,
    insecure: InsecureOpt = False,
    guide_dir: GuideDirOpt = Path("sentry-alerts-guide"),
    no_fallback: NoFallbackOpt = False,
) -> None:
    """Show what apply would change in Sentry (read-only)."""

    def body() -> int:
        from sentry_alerts.errors import EXIT_CHANGES
        from sentry_alerts.plan import plan_policy
        from sentry_alerts.render.text import render_plan

        progress = _Progress()
        try:
            planned = plan_policy(str(policy), token=token, url=url, org=org,
                                  backend=_check_backend(backend), adopt=adopt,
                                  insecure=insecure, progress=progress)
        except AuthError as exc:
            if no_fallback:
                raise
            from sentry_alerts.guide.cli import guide_instead

            return guide_instead(policy, exc, guide_dir=guide_dir)
        progress.clear()
        _show_policy_warnings(planned.policy)
        typer.echo(render_plan(planned.plan, color=_colour()), nl=False)
        if not planned.plan.listing_complete:
            raise SentryAlertsError("the list of live alerts was incomplete, so this plan may "
                                    "be wrong; run plan again.")
        return EXIT_CHANGES if detailed_exitcode and planned.plan.has_changes else 0

    run_command(body)


@app.command()
def apply(
    policy: Annotated[Path, typer.Argument(help="The policy file.")],
    auto_approve: Annotated[bool, typer.Option(
        "--auto-approve", help="Apply without asking (for CI).")] = False,
    parallelism: Annotated[int, typer.Option(
        "--parallelism", help="Alerts changed at the same time (1-25); the client also keeps "
        "under Sentry's rate limits.")] = 8,
    backend: BackendOpt = "auto",
    adopt: AdoptOpt = False,
    token: TokenOpt = None,
    url: UrlOpt = DEFAULT_URL,
    org: OrgOpt = None,
    insecure: InsecureOpt = False,
    guide_dir: GuideDirOpt = Path("sentry-alerts-guide"),
    no_fallback: NoFallbackOpt = False,
) -> None:
    """Make Sentry match the policy: plan, show the plan, confirm, apply exactly that plan."""

    def body() -> int:
        from sentry_alerts.apply import apply_and_report
        from sentry_alerts.plan import plan_policy
        from sentry_alerts.render.text import render_plan

        if not 1 <= parallelism <= 25:
            raise SentryAlertsError(f"--parallelism must be between 1 and 25, not {parallelism}.")
        progress = _Progress()
        try:
            planned = plan_policy(str(policy), token=token, url=url, org=org,
                                  backend=_check_backend(backend), adopt=adopt,
                                  insecure=insecure, progress=progress)
        except AuthError as exc:
            if no_fallback:
                raise
            from sentry_alerts.guide.cli import guide_instead

            return guide_instead(policy, exc, guide_dir=guide_dir)
        progress.clear()
        _show_policy_warnings(planned.policy)
        the_plan = planned.plan
        typer.echo(render_plan(the_plan, color=_colour()), nl=False)
        if not the_plan.listing_complete:
            raise SentryAlertsError("the list of live alerts was incomplete, so nothing was "
                                    "applied (a missing alert could be created twice); run "
                                    "apply again.")
        if not the_plan.executable:
            if the_plan.of("conflict"):
                raise SentryAlertsError("nothing can be applied until the conflicts above are "
                                        "resolved: rerun with --adopt, or rename the alerts.")
            typer.echo("No changes.")
            return 0
        if not auto_approve:
            if not sys.stdin.isatty():
                raise SentryAlertsError(
                    "apply needs a confirmation, but there is no terminal to ask on; pass "
                    "--auto-approve to apply without asking (CI), or run it in a terminal.")
            typer.echo(f"\nApply these changes to {the_plan.org}? Only 'yes' is accepted.")
            try:
                answer = input("Enter a value: ")
            except EOFError:
                answer = ""
            if answer.strip() != "yes":
                raise SentryAlertsError("apply cancelled; nothing was changed.")
        typer.echo("")
        from sentry_alerts.guide.cli import WriteWatch, guide_for_refused_writes

        backend_ = WriteWatch(planned.connection.backend)  # notes writes refused with 401/403
        result = apply_and_report(the_plan, backend_, out=sys.stdout,
                                  err=sys.stderr, parallelism=parallelism, color=_colour())
        if backend_.denied and not no_fallback:
            return guide_for_refused_writes(planned, result, backend_, guide_dir=guide_dir,
                                            policy_path=policy)
        return 0 if result.ok else EXIT_ERROR

    run_command(body)



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
