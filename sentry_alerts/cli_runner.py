"""How every command body runs: errors a user can act on become one paragraph and an exit
code, never a traceback; a bug of ours is one paragraph too, without the token; SIGTERM and
Ctrl-C say that nothing was changed; retries and Sentry's deprecation notices go to stderr.

Kept out of cli.py, which only parses arguments; the command modules that add their commands
to the app (drift, import, loadtest) get `run_command` passed in.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

import typer

from sentry_alerts.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED, SentryAlertsError
from sentry_alerts.visible_text import visible


class Terminated(KeyboardInterrupt):
    """SIGTERM outside apply's orderly stop (terminal.StopOnCtrlC handles it there)."""


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
    except SentryAlertsError as exc:  # Sentry's words may hold control characters: shown
        typer.echo(f"error: {visible(exc.message, lines=True)}", err=True)
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
