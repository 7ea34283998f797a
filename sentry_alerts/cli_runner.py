"""How every command body runs (command.run_body: errors a user can act on become one
paragraph and an exit code, never a traceback; a bug of ours is one paragraph too, without the
token; SIGTERM and Ctrl-C say that nothing was changed; retries and Sentry's deprecation
notices go to stderr), through typer: its echo and its exit.

Kept out of cli.py, which only parses arguments; the command modules that add their commands
to the app (drift, import, loadtest) get `run_command` passed in. console.py runs a plain
`validate` through command.run_body without typer.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from sentry_alerts.command import Terminated, on_sigterm_raise, run_body, scrub_secrets


def _echo_error(message: str) -> None:
    typer.echo(message, err=True)


def run_command(fn: Callable[[], int | None], *, verbose: bool = False,
                leaves_nothing: bool = False, changes_sentry: bool = False) -> None:
    """Run a command body: user-facing errors become `error: ...` and an exit code, never a
    traceback. Retries and Sentry's deprecation notices go to stderr; with `verbose`, each HTTP
    call too. `leaves_nothing`: in the console script, the process may end at once
    (command.exit_now). `changes_sentry`: apply (a broken pipe is then reported)."""
    code = run_body(fn, echo=_echo_error, verbose=verbose, leaves_nothing=leaves_nothing,
                    changes_sentry=changes_sentry, passthrough=(typer.Exit, typer.Abort))
    raise typer.Exit(code)


__all__ = ["Terminated", "on_sigterm_raise", "run_command", "scrub_secrets"]
