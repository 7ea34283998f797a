"""The `sentry-alerts` command line: parses arguments and calls the library.

Heavy modules (pydantic, requests, sentry_sdk, the emulator) are imported inside the commands,
so that `sentry-alerts --help` starts fast (cli_help.py says how help stays fast and plain).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from sentry_alerts import __version__
from sentry_alerts.cli_help import EPILOG, PlainCommand, PlainGroup
from sentry_alerts.cli_options import RetryBudgetOpt, VerboseOpt, check_backend
from sentry_alerts.errors import EXIT_ERROR, EXIT_INTERRUPTED, AuthError, SentryAlertsError

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
) -> None:
    """Keep Sentry's performance alerts in code: validate, plan, apply, or write a manual guide."""


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`@app.command`, with the plain help of cli_help.PlainCommand."""
    return app.command(name, cls=PlainCommand)


T = TypeVar("T")

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


class Terminated(KeyboardInterrupt):
    """SIGTERM outside apply's orderly stop (terminal.StopOnCtrlC handles it there)."""


EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it


def on_sigterm_raise() -> None:
    """SIGTERM says so and exits 143 instead of ending the process silently."""
    import signal
    import threading

    def handle(signum: int, frame: object) -> None:
        raise Terminated()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)


def run_command(fn: Callable[[], int | None], *, verbose: bool = False) -> None:
    """Run a command body: user-facing errors become `error: ...` and an exit code, never a
    traceback. Retries and Sentry's deprecation notices go to stderr; with `verbose`, each HTTP
    call too."""
    from sentry_alerts.terminal import show_notices

    show_notices(verbose=verbose)
    on_sigterm_raise()
    try:
        code = fn() or 0
    except Terminated:
        typer.echo("\nerror: terminated (SIGTERM); nothing was changed in Sentry.", err=True)
        raise typer.Exit(EXIT_TERMINATED) from None
    except SentryAlertsError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:  # before apply sends anything (apply's own Ctrl-C: terminal.py)
        typer.echo("\nerror: interrupted (Ctrl-C); nothing was changed in Sentry.", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # a bug of ours: still one paragraph, never a traceback
        if os.environ.get("SENTRY_ALERTS_DEBUG"):
            raise
        detail = scrub_secrets(f"{type(exc).__name__}: {exc}")
        typer.echo(
            f"error: sentry-alerts failed unexpectedly ({detail}). This is a bug in "
            "sentry-alerts, not in your policy; please report it with the command you ran. "
            "Set SENTRY_ALERTS_DEBUG=1 to see the traceback.", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    raise typer.Exit(code)


_TOKEN_RE = re.compile(r"sntry[a-z]_[A-Za-z0-9_=+/.-]+|(?i:bearer)\s+\S+")


def scrub_secrets(text: str) -> str:
    """Remove anything that looks like a Sentry token, and the configured token itself."""
    token = os.environ.get("SENTRY_AUTH_TOKEN")
    if token and len(token) >= 4:
        text = text.replace(token, "<token>")
    for i, arg in enumerate(sys.argv):
        value = arg.split("=", 1)[1] if arg.startswith("--token=") else (
            sys.argv[i + 1] if arg == "--token" and i + 1 < len(sys.argv) else None)
        if value and len(value) >= 4:
            text = text.replace(value, "<token>")
    return _TOKEN_RE.sub("<token>", text)


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
        from sentry_alerts.policy.validate import run_validate

        for path in paths:  # `--strict true`: the value a flag does not take became a path
            if str(path).lower() in ("true", "false", "yes", "no") and not path.exists():
                raise SentryAlertsError(
                    f"{str(path)!r} is not a policy file: flags such as --strict take no value. "
                    "Write `sentry-alerts validate --strict PATH`.")

        return run_validate(paths, strict=strict, fmt=fmt, out=sys.stdout, backend=backend)

    run_command(body)


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
PLAN_FORMATS = ("text", "markdown", "json")
PlanFormatOpt = Annotated[
    str, typer.Option("--format", metavar="FORMAT", help="text (default), markdown (a pull-request comment) or "
                      "json (docs/plan-format.md).")]
PlanOutOpt = Annotated[
    Path | None, typer.Option("--out", metavar="FILE", help="Also save the plan (JSON) to FILE; `apply FILE` "
                              "applies exactly it, or refuses when it is stale.")]
PruneOpt = Annotated[
    bool, typer.Option("--prune", help="Delete alerts this policy manages that left it (never "
                       "unmarked or other policies' alerts, never after an incomplete listing).")]


def _render_plan(the_plan: object, fmt: str) -> str:
    if fmt == "markdown":
        from sentry_alerts.render.markdown import render_markdown

        return render_markdown(the_plan)  # type: ignore[arg-type]
    if fmt == "json":
        from sentry_alerts.render.json_view import render_json

        return render_json(the_plan)  # type: ignore[arg-type]
    from sentry_alerts.render.text import render_plan

    return render_plan(the_plan, color=_colour())  # type: ignore[arg-type]


def _incomplete_listing(the_plan: object, what: str) -> SentryAlertsError:
    skipped = (" Pruning was skipped: nothing is deleted after an incomplete listing."
               if getattr(the_plan, "prune", False) else "")
    return SentryAlertsError(f"the list of live alerts was incomplete, so {what}.{skipped}")


def _connect_options(retry_budget: int, ca_bundle: Path | None,
                     timeout: int) -> dict[str, object]:
    if timeout < 1:
        raise SentryAlertsError(f"--timeout must be at least 1 second, not {timeout}.")
    options: dict[str, object] = {"retry_budget": max(0, retry_budget),
                                  "command_timeout": float(timeout)}
    if ca_bundle is not None:
        options["ca_bundle"] = str(ca_bundle)
    return options


def _plan_or_guide(make_plan: Callable[[], T], *, policy_path: Path, guide_dir: Path,
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


def _show_policy_warnings(policy: object) -> None:
    """The policy's warnings (as `validate` shows them) go to stderr; they never stop a plan."""
    for diagnostic in getattr(policy, "warnings", ()):
        typer.echo(diagnostic.format(), err=True)


def _colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


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
        from sentry_alerts.errors import EXIT_CHANGES
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
        planned = _plan_or_guide(
            lambda: plan_policy(str(policy), token=token, url=url, org=org,
                                backend=check_backend(backend), adopt=adopt,
                                insecure=insecure, progress=progress, prune=prune,
                                connect_options=_connect_options(retry_budget, ca_bundle, timeout)),
            policy_path=policy, guide_dir=guide_dir, no_fallback=no_fallback)
        if isinstance(planned, int):
            return planned
        progress.clear()
        _show_policy_warnings(planned.policy)
        typer.echo(_render_plan(planned.plan, fmt), nl=False)
        if not planned.plan.listing_complete:
            raise _incomplete_listing(planned.plan, "this plan may be wrong"
                                      + (" and was not saved" if out else "") + "; run plan again")
        if out is not None:
            from sentry_alerts.saved_plan import save_plan

            save_plan(planned.plan, out)
            typer.echo(f"Saved the plan to {out}; `sentry-alerts apply {out}` applies exactly "
                       "it (or refuses if anything changed since).", err=True)
        return EXIT_CHANGES if detailed_exitcode and planned.plan.has_changes else 0

    run_command(body, verbose=verbose)


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
        from sentry_alerts.plan import plan_policy
        from sentry_alerts.render.text import render_plan
        from sentry_alerts.saved_plan import is_saved_plan, load_saved_plan, prepare_saved_plan
        from sentry_alerts.terminal import StatusLine, StopOnCtrlC, apply_and_report

        if not 1 <= parallelism <= 25:
            raise SentryAlertsError(f"--parallelism must be between 1 and 25, not {parallelism}.")
        # A saved plan (issue 5) is applied exactly, after proving it is not stale; its options
        # were fixed when it was made, and its review was the approval (no prompt).
        saved = load_saved_plan(policy) if is_saved_plan(policy) else None
        policy_path = Path(saved.policy_path) if saved else policy
        if saved:
            for flag, asked, made in (("--prune", prune, saved.prune),
                                      ("--adopt", adopt, saved.adopt)):
                if asked and not made:
                    raise SentryAlertsError(
                        f"{policy} is a saved plan made without {flag}; options are fixed when "
                        f"the plan is made: run `sentry-alerts plan {saved.policy_path} {flag} "
                        f"--out {policy}` and apply that.")
        progress = StatusLine()
        options = _connect_options(retry_budget, ca_bundle, timeout)

        def make_plan():
            if saved:
                return prepare_saved_plan(policy, token=token, url=url, org=org,
                                          backend=check_backend(backend), insecure=insecure,
                                          progress=progress, connect_options=options)
            return plan_policy(str(policy), token=token, url=url, org=org,
                               backend=check_backend(backend), adopt=adopt,
                               insecure=insecure, progress=progress, prune=prune,
                               connect_options=options)

        planned = _plan_or_guide(make_plan, policy_path=policy_path, guide_dir=guide_dir,
                                 no_fallback=no_fallback)
        if isinstance(planned, int):
            return planned
        progress.clear()
        _show_policy_warnings(planned.policy)
        the_plan = planned.plan
        typer.echo(render_plan(the_plan, color=_colour()), nl=False)
        if not the_plan.listing_complete:
            raise _incomplete_listing(the_plan, "nothing was applied (a missing alert could be "
                                      "created twice); run apply again")
        if not the_plan.executable:
            if the_plan.of("conflict"):
                raise SentryAlertsError("nothing can be applied until the conflicts above are "
                                        "resolved: rerun with --adopt, or rename the alerts.")
            typer.echo("No changes.")
            return 0
        if not auto_approve and not saved:
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
        with StopOnCtrlC(sys.stderr) as ctrl_c:
            result = apply_and_report(the_plan, backend_, out=sys.stdout, err=sys.stderr,
                                      parallelism=parallelism, color=_colour(),
                                      stop=ctrl_c.event)
        if result.interrupted:
            return EXIT_INTERRUPTED
        if backend_.denied and not no_fallback:
            return guide_for_refused_writes(planned, result, backend_, guide_dir=guide_dir,
                                            policy_path=policy_path)
        return 0 if result.ok else EXIT_ERROR

    run_command(body, verbose=verbose)



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
    app()


if __name__ == "__main__":
    main()
