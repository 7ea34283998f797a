"""Running a command's body the same way for every command, without typer: user-facing errors
as one paragraph and an exit code (never a traceback), SIGTERM, and the quick exit.

cli.py runs every command through `run_body`; console.py, the console script, runs a plain
`sentry-alerts validate PATH...` through it too without importing typer at all (issue 11).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

from sentry_alerts.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    SentryAlertsError,
)
from sentry_alerts.visible_text import visible

# Set by the console script (console.main, cli.main); never when the app runs inside another
# program, such as the tests' CliRunner.
in_console_script = False


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


def exit_now(code: int) -> None:
    """End the process at once, its output flushed. A command that read a large policy or
    listing holds hundreds of thousands of objects, and freeing them one by one at exit costs
    a tenth of its run (0.3 s of a 10,000-alert plan; issue 11). Only for commands that leave
    nothing behind (no file open, no thread, nothing to do at exit): validate and plan."""
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def run_body(fn: Callable[[], int | None], *, echo: Callable[[str], None],
             verbose: bool = False, leaves_nothing: bool = False, changes_sentry: bool = False,
             passthrough: tuple[type[BaseException], ...] = ()) -> int:
    """Run a command body and return its exit code: user-facing errors are written with
    `echo` (to stderr) as `error: ...`, never a traceback. Retries and Sentry's deprecation
    notices go to stderr; with `verbose`, each HTTP call too. `leaves_nothing`: in the console
    script, the process ends at once (exit_now). `changes_sentry` (apply): a broken pipe is
    reported on stderr, since Sentry may have changed before it. `passthrough`: exceptions that carry their own
    exit (typer's)."""
    from sentry_alerts.terminal import show_notices

    show_notices(verbose=verbose)
    on_sigterm_raise()
    quick = leaves_nothing and in_console_script
    try:
        code = fn() or 0
    except Terminated:
        echo("\nerror: terminated (SIGTERM); nothing was changed in Sentry.")
        return EXIT_TERMINATED
    except SentryAlertsError as exc:  # Sentry's words may hold control characters: shown
        echo(f"error: {visible(exc.message, lines=True)}")
        if quick:
            exit_now(exc.exit_code)
        return exc.exit_code
    except KeyboardInterrupt:  # before apply sends anything (apply's own Ctrl-C: terminal.py)
        echo("\nerror: interrupted (Ctrl-C); nothing was changed in Sentry.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _broken_pipe(echo, quiet=not changes_sentry)
    except (SystemExit, *passthrough):
        raise
    except Exception as exc:  # a bug of ours: still one paragraph, never a traceback
        if os.environ.get("SENTRY_ALERTS_DEBUG"):
            raise
        detail = scrub_secrets(f"{type(exc).__name__}: {exc}")
        echo(f"error: sentry-alerts failed unexpectedly ({detail}). This is a bug in "
             "sentry-alerts, not in your policy; please report it with the command you ran. "
             "Set SENTRY_ALERTS_DEBUG=1 to see the traceback.")
        return EXIT_ERROR
    if quick:
        exit_now(code)
    return code


def _broken_pipe(echo: Callable[[str], None], *, quiet: bool) -> int:
    """The reader of our output went away (`sentry-alerts plan | head`). Like other Unix tools,
    stop and exit 141 (128 + SIGPIPE), saying nothing: the reader chose to stop. Except apply,
    which may have changed Sentry before the pipe closed: it says so on stderr, usually still
    read (a CI log)."""
    import contextlib

    # Later writes (and Python's own flush at exit) must not fail again on the closed pipe.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if not quiet:
        with contextlib.suppress(OSError, ValueError):
            echo("error: standard output was closed while sentry-alerts was writing to it "
                 "(broken pipe), so it stopped; run `sentry-alerts plan` to see what Sentry "
                 "holds now.")
    return EXIT_BROKEN_PIPE


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


__all__ = ["Terminated", "exit_now", "on_sigterm_raise", "run_body", "scrub_secrets"]
