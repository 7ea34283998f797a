"""The `import` command: parse arguments, call the library (importer/run.py).

`register_commands(app, run_command)` adds it to the main app; `run_command` (errors as one
paragraph and an exit code) is passed in, so this module does not import the main CLI. Only
typer is imported here, keeping `sentry-alerts --help` fast.
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
    @app.command("import", cls=PlainCommand)
    def import_alerts(
        org: Annotated[str | None, typer.Option(
            "--org", envvar="SENTRY_ORG", show_envvar=True, metavar="SLUG",
            help="The organization whose alerts to import.")] = None,
        project: Annotated[list[str] | None, typer.Option(
            "--project", metavar="SLUG", help="Import only this project's alerts (repeat for several; default: "
            "every project the token can see).", show_default=False)] = None,
        backend: Annotated[str, typer.Option(
            "--backend", metavar="BACKEND", help="auto (monitors where the server has them, else the legacy alert "
            "rules), alert-rules, or monitors: the API the policy will be planned with.")
        ] = "auto",
        out: Annotated[Path | None, typer.Option(
            "--out", metavar="FILE", help="Write the policy to FILE (default: print it).", show_default=False)
        ] = None,
        name: Annotated[str | None, typer.Option(
            "--name", metavar="NAME", help="The policy's name, written into each alert's ownership marker on "
            "adoption (default: the --out file's name, else <org>-alerts).", show_default=False)
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")
                         ] = False,
        token: Annotated[str | None, typer.Option(
            "--token", envvar="SENTRY_AUTH_TOKEN", show_envvar=True, show_default=False,
            metavar="TOKEN", help="Sentry auth token (org:read and alerts:read suffice to import).")
        ] = None,
        url: Annotated[str, typer.Option(
            "--url", envvar="SENTRY_URL", show_envvar=True, metavar="URL",
            help="Sentry base URL.")
        ] = "https://sentry.io/",
        insecure: Annotated[bool, typer.Option(
            "--insecure", help="Allow plain http:// to hosts other than this machine.")] = False,
        verbose: VerboseOpt = False,
        retry_budget: RetryBudgetOpt = 120,
    ) -> None:
        """Write a policy that reproduces the org's existing latency alerts (then adopt them)."""

        def body() -> int:
            from sentry_alerts.importer.run import run_import

            check_backend(backend)
            return run_import(org=org, projects=list(project or []), backend=backend, out=out,
                              name=name, token=token, url=url, insecure=insecure, force=force,
                              stdout=sys.stdout, stderr=sys.stderr,
                              connect_options={"retry_budget": max(0, retry_budget)})

        run_command(body, verbose=verbose)
