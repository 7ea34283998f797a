"""The `sentry-alerts` command line: parses arguments and calls the library.

Heavy modules (pydantic, requests, sentry_sdk, the emulator) are imported inside the commands,
so that `sentry-alerts --help` starts fast (cli_help.py says how help stays fast and plain).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sentry_alerts import __version__
from sentry_alerts import command as command_module
from sentry_alerts.cli_help import EPILOG, PlainCommand, PlainGroup
from sentry_alerts.cli_options import RetryBudgetOpt, VerboseOpt
from sentry_alerts.cli_runner import run_command

app = typer.Typer(
    name="sentry-alerts",
    help="Keep Sentry's performance alerts in code: validate, plan, apply, or write a manual guide.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=PlainGroup,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"sentry-alerts {__version__}")
        raise typer.Exit()


@app.callback()
def _top_level(
    version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Show the version and exit.")] = False,
    max_policy_mb: Annotated[str | None, typer.Option(
        "--max-policy-mb", metavar="MB", envvar="SENTRY_ALERTS_MAX_POLICY_MB",
        show_default=False,
        help="Largest policy file any command reads, in MB (default 16, which admits 50,000 "
             "transactions).")] = None,
) -> None:
    """Keep Sentry's performance alerts in code: validate, plan, apply, or write a manual guide."""
    if max_policy_mb is not None:
        # The policy loader reads the limit from here, whichever command loads the policy; a
        # value that is not a size is reported by the command, as one error.
        os.environ["SENTRY_ALERTS_MAX_POLICY_MB"] = max_policy_mb


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`@app.command`, with the plain help of cli_help.PlainCommand."""
    return app.command(name, cls=PlainCommand)


# Shared options. The token is read from the environment or the flag and never echoed.
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="SENTRY_AUTH_TOKEN", show_envvar=True, show_default=False,
                 metavar="TOKEN", help="Sentry auth token (needs org:read and alerts:write)."),
]
UrlOpt = Annotated[
    str,
    typer.Option("--url", envvar="SENTRY_URL", show_envvar=True, metavar="URL",
                 help="Sentry base URL; for sentry.io the org's region is found automatically."),
]
OrgOpt = Annotated[
    str | None,
    typer.Option("--org", envvar="SENTRY_ORG", show_envvar=True, metavar="SLUG",
                 help="Organization slug (overrides the policy's `organization`)."),
]
DEFAULT_URL = "https://sentry.io/"


@command()
def validate(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH...", help="Policy files or folders (searched recursively).")],
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT",
                                     help="text or json.")] = "text",
    backend: Annotated[str, typer.Option(
        "--backend", metavar="BACKEND",
        help="auto (default), alert-rules or monitors: the API the policy will be applied "
             "with; alert-rules refuses alerts without a notify target.")] = "auto",
) -> None:
    """Check policy files offline.

    Syntax, types, keys, durations, windows, thresholds; each problem with file:line:col and
    what to write instead.
    """

    def body() -> int:
        from sentry_alerts.policy.validate import validate_command

        return validate_command(paths, strict=strict, fmt=fmt, backend=backend, out=sys.stdout)

    run_command(body, leaves_nothing=True)


@command()
def schema() -> None:
    """Print the policy file's JSON Schema.

    For editors and yaml-language-server (a copy is policies/policy.schema.json).
    """

    def body() -> int:
        from sentry_alerts.policy.schema import schema_json

        typer.echo(schema_json())
        return 0

    run_command(body)


# --- emulator and demo commands ---


@command()
def emulator(
    port: Annotated[int, typer.Option("--port", metavar="PORT",
                                      help="Port on 127.0.0.1 (0 = a free one).")] = 8765,
    profile: Annotated[str, typer.Option(
        "--profile", metavar="PROFILE",
        help="saas-2026 (default), saas-2026-05, self-hosted-25, self-hosted-26.7.")
    ] = "saas-2026",
    seed: Annotated[Path | None, typer.Option("--seed", metavar="FILE", help="Seed YAML/JSON "
                                              "(org, projects, Slack, tokens, alerts), or "
                                              "migrated-from-legacy (the default seed plus the "
                                              "example policy's alerts as Sentry migrated them "
                                              "from legacy rules).")] = None,
    state: Annotated[Path | None, typer.Option("--state", metavar="FILE", help="Keep state in "
                                               "this JSON file across restarts.")] = None,
    slack_delay: Annotated[float, typer.Option("--slack-delay", metavar="SECONDS",
                                               help="Seconds an async Slack lookup stays "
                                               "pending.")] = 2.0,
) -> None:
    """Run a local Sentry emulator until Ctrl-C.

    Both alert APIs, the lookups, pagination, rate limits and faults on demand.
    """

    def body() -> int:
        from sentry_alerts.emulator.command import serve

        return serve(port=port, profile=profile, seed=seed, state_file=state,
                     slack_task_delay=slack_delay)

    run_command(body)


@command()
def demo(
    profile: Annotated[str | None, typer.Option(
        "--profile", metavar="PROFILE", help="Emulator profile: saas-2026 (default), saas-2026-05, self-hosted-25, "
        "self-hosted-26.7.")] = None,
) -> None:
    """Try it all against an embedded emulator.

    validate, plan, apply, plan again, then drift made in the "UI" and its repair.
    """

    def body() -> int:
        from sentry_alerts.demo import run_demo

        return run_demo(profile=profile)

    run_command(body)


# --- plan and apply commands ---

BackendOpt = Annotated[
    str,
    typer.Option("--backend", metavar="BACKEND", help="auto (monitors where the server has them, else the legacy "
                 "alert rules), alert-rules, or monitors."),
]
AdoptOpt = Annotated[
    bool,
    typer.Option("--adopt", help="Take over unmanaged alerts that have the name of a desired "
                 "one (writes the ownership marker) instead of reporting a conflict."),
]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", help="Allow plain http:// to hosts other than this machine "
                       "(warned about on every run; TLS certificates are always verified)."),
]
CaBundleOpt = Annotated[
    Path | None, typer.Option("--ca-bundle", metavar="FILE", help="PEM file of the certificate "
                              "authorities to trust (a self-hosted Sentry's own CA).")]
# Manual-guide fallback (issue 6): no token, or Sentry refuses it (401/403) -> guide, exit 3.
GuideDirOpt = Annotated[
    Path, typer.Option("--guide-dir", metavar="DIR", help="Where to write the manual setup guide when there is "
                       "no API access (exit code 3).")]
NoFallbackOpt = Annotated[
    bool, typer.Option("--no-fallback", help="Fail instead of writing a manual setup guide when "
                       "there is no API access.")]


CommandTimeoutOpt = Annotated[
    int, typer.Option("--timeout", metavar="SECONDS",
                      help="The whole command ends within this long (default 900): waits for "
                      "retries and rate limits are cut to it, and apply reports what it did "
                      "before it.")]


# Plans for reviewers (issue 5): output formats, saved plans, pruning.
PlanFormatOpt = Annotated[
    str, typer.Option("--format", metavar="FORMAT", help="text (default), markdown (a pull-request comment) or "
                      "json (docs/plan-format.md).")]
PlanOutOpt = Annotated[
    Path | None, typer.Option("--out", metavar="FILE", help="Also save the plan (JSON) to FILE; `apply FILE` "
                              "applies exactly it, or refuses when it is stale.")]
PruneOpt = Annotated[
    bool, typer.Option("--prune", help="Delete alerts this policy manages that left it (never "
                       "unmarked or other policies' alerts, never after an incomplete listing).")]


@command()
def plan(
    policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The policy file.")],
    detailed_exitcode: Annotated[bool, typer.Option(
        "--detailed-exitcode", help="Exit 0 when Sentry matches the policy, 2 when there are "
        "changes, 1 on errors.")] = False,
    backend: BackendOpt = "auto",
    adopt: AdoptOpt = False,
    token: TokenOpt = None,
    url: UrlOpt = DEFAULT_URL,
    org: OrgOpt = None,
    insecure: InsecureOpt = False,
    ca_bundle: CaBundleOpt = None,
    guide_dir: GuideDirOpt = Path("sentry-alerts-guide"),
    no_fallback: NoFallbackOpt = False,
    fmt: PlanFormatOpt = "text",
    out: PlanOutOpt = None,
    prune: PruneOpt = False,
    verbose: VerboseOpt = False,
    retry_budget: RetryBudgetOpt = 120,
    timeout: CommandTimeoutOpt = 900,
) -> None:
    """Show what apply would change in Sentry.

    Read-only. Before proposing anything it checks that every project, environment, team,
    member and Slack workspace the policy names exists in the organization.
    """

    def body() -> int:
        from sentry_alerts.plan_command import run_plan

        return run_plan(policy, fmt=fmt, out=out, detailed_exitcode=detailed_exitcode,
                        backend=backend, adopt=adopt, prune=prune, token=token, url=url,
                        org=org, insecure=insecure, ca_bundle=ca_bundle,
                        retry_budget=retry_budget, timeout=timeout, guide_dir=guide_dir,
                        no_fallback=no_fallback)

    run_command(body, verbose=verbose, leaves_nothing=True)


@command()
def apply(
    policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The policy file, or a plan "
                                           "saved with "
                                           "`plan --out` (applied exactly, or refused when "
                                           "stale).")],
    auto_approve: Annotated[bool, typer.Option(
        "--auto-approve", help="Apply without asking (for CI).")] = False,
    parallelism: Annotated[int, typer.Option(
        "--parallelism", metavar="N", help="Alerts changed at the same time (1-25); the client also keeps "
        "under Sentry's rate limits.")] = 8,
    backend: BackendOpt = "auto",
    adopt: AdoptOpt = False,
    token: TokenOpt = None,
    url: UrlOpt = DEFAULT_URL,
    org: OrgOpt = None,
    insecure: InsecureOpt = False,
    ca_bundle: CaBundleOpt = None,
    guide_dir: GuideDirOpt = Path("sentry-alerts-guide"),
    no_fallback: NoFallbackOpt = False,
    prune: PruneOpt = False,
    verbose: VerboseOpt = False,
    retry_budget: RetryBudgetOpt = 120,
    timeout: CommandTimeoutOpt = 900,
) -> None:
    """Make Sentry match the policy.

    Plans, shows the plan, asks, and applies exactly that plan.
    """

    def body() -> int:
        from sentry_alerts.apply_command import run_apply

        return run_apply(policy, auto_approve=auto_approve, parallelism=parallelism,
                         backend=backend, adopt=adopt, prune=prune, token=token, url=url,
                         org=org, insecure=insecure, ca_bundle=ca_bundle,
                         retry_budget=retry_budget, timeout=timeout, guide_dir=guide_dir,
                         no_fallback=no_fallback)

    run_command(body, verbose=verbose, changes_sentry=True)



# --- guide and monitoring-plan commands ---


@command()
def guide(
    policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The policy file.")],
    out: Annotated[Path, typer.Option("--out", metavar="DIR",
                                      help="Folder for the Markdown pages.")] = Path(
        "sentry-alerts-guide"),
    ui: Annotated[str, typer.Option("--ui", metavar="UI", help="alerts (legacy UI), monitors "
                                    "(new UI) or both.")] = "both",
) -> None:
    """Write a manual setup guide (Markdown).

    Step-by-step pages for creating the policy's alerts by hand in Sentry's UI.
    """

    def body() -> int:
        from sentry_alerts.guide.cli import run_guide

        return run_guide(policy, out=out, ui=ui)

    run_command(body)


@command("monitoring-plan")
def monitoring_plan(
    policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The policy file.")],
    out: Annotated[Path, typer.Option("--out", metavar="FILE",
                                      help="The Markdown file to write.")] = Path(
        "docs/performance/continuous-monitoring-plan.md"),
) -> None:
    """Write the continuous monitoring plan.

    SLAs, thresholds, who is notified and what to do, as one Markdown document.
    """

    def body() -> int:
        from sentry_alerts.guide.cli import run_monitoring_plan

        return run_monitoring_plan(policy, out=out)

    run_command(body)


# --- load testing (issue 14): `loadtest script|run|verify|rehearse` and `sample-service` ---
# Defined in sentry_alerts/loadtest/cli.py, which gets run_command passed in (no import circle).
from sentry_alerts.loadtest.cli import register_commands  # noqa: E402

register_commands(app, run_command)

# --- import and drift (issue 13): sentry_alerts/importer/cli.py, sentry_alerts/drift/cli.py ---
from sentry_alerts.drift.cli import register_commands as register_drift  # noqa: E402
from sentry_alerts.importer.cli import register_commands as register_import  # noqa: E402

register_import(app, run_command)
register_drift(app, run_command)


def main() -> None:
    """The command line through typer (console.main, the console script, comes here for all
    but a plain `validate`)."""
    command_module.in_console_script = True
    app()


if __name__ == "__main__":
    main()
