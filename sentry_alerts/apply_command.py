"""The `apply` command's body: plan (or take a saved plan, after proving it is not stale), show
the plan, ask, apply exactly that plan while reporting each alert as it finishes, and write a
manual guide for the changes Sentry refused to make.

cli.py parses the arguments and calls `run_apply`; heavy modules are imported inside, when the
command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from sentry_alerts.cli_options import check_backend
from sentry_alerts.errors import EXIT_ERROR, SentryAlertsError
from sentry_alerts.plan_command import (
    colour,
    connect_options,
    incomplete_listing,
    plan_or_guide,
    show_policy_warnings,
)


def run_apply(policy: Path, *, auto_approve: bool, parallelism: int, backend: str, adopt: bool,
              prune: bool, token: str | None, url: str, org: str | None, insecure: bool,
              ca_bundle: Path | None, retry_budget: int, timeout: int, guide_dir: Path,
              no_fallback: bool) -> int:
    """Make Sentry match the policy, or a saved plan; the exit code."""
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
    options = connect_options(retry_budget, ca_bundle, timeout)

    def make_plan():
        if saved:
            return prepare_saved_plan(policy, token=token, url=url, org=org,
                                      backend=check_backend(backend), insecure=insecure,
                                      progress=progress, connect_options=options)
        return plan_policy(str(policy), token=token, url=url, org=org,
                           backend=check_backend(backend), adopt=adopt,
                           insecure=insecure, progress=progress, prune=prune,
                           connect_options=options)

    planned = plan_or_guide(make_plan, policy_path=policy_path, guide_dir=guide_dir,
                            no_fallback=no_fallback)
    if isinstance(planned, int):
        return planned
    progress.clear()
    show_policy_warnings(planned.policy)
    the_plan = planned.plan
    typer.echo(render_plan(the_plan, color=colour()), nl=False)
    if not the_plan.listing_complete:
        raise incomplete_listing(the_plan, "nothing was applied (a missing alert could be "
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
                                  parallelism=parallelism, color=colour(),
                                  stop=ctrl_c.event)
    if result.interrupted:  # 130 after Ctrl-C, 143 after SIGTERM
        return ctrl_c.exit_code
    if backend_.denied and not no_fallback:
        return guide_for_refused_writes(planned, result, backend_, guide_dir=guide_dir,
                                        policy_path=policy_path)
    return 0 if result.ok else EXIT_ERROR
