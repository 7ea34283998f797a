"""The `sentry-alerts` console script.

Every command goes through typer (cli.py), except the one run most often, in CI on every
commit: a plain `sentry-alerts validate [--strict] [--format F] [--backend B] PATH...` is read
here and run with the same body (policy.validate.validate_command) and the same error handling
(command.run_body), without importing typer, which costs about a tenth of validating 5,000
transactions (issue 11). Anything else on such a line (`--help`, an unknown or repeated
option, `--`, shell completion) goes to typer, so its usage messages stay typer's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sentry_alerts import command

_VALUED = ("--format", "--backend")


def plain_validate(argv: list[str]) -> tuple[list[Path], bool, str, str] | None:
    """(paths, strict, format, backend) when `argv` is a `validate` call that needs nothing
    typer does beyond reading these options; None when typer should read it."""
    if not argv or argv[0] != "validate" or "_SENTRY_ALERTS_COMPLETE" in os.environ:
        return None
    paths: list[Path] = []
    strict, values = False, {}
    args = iter(argv[1:])
    for arg in args:
        if arg == "--strict":
            strict = True
            continue
        name, equals, value = arg.partition("=")
        if name in _VALUED:
            if not equals:
                value = next(args, "")
            if not value or value.startswith("-") or name in values:
                return None
            values[name] = value
        elif not arg or arg.startswith("-"):
            return None
        else:
            paths.append(Path(arg))
    if not paths:
        return None
    return paths, strict, values.get("--format", "text"), values.get("--backend", "auto")


def _echo_error(message: str) -> None:
    import typer  # only for an error: written exactly as typer writes it

    typer.echo(message, err=True)


def main() -> None:
    plain = plain_validate(sys.argv[1:])
    if plain is None:
        from sentry_alerts.cli import main as through_typer

        through_typer()
        return
    command.in_console_script = True
    paths, strict, fmt, backend = plain

    def body() -> int:
        from sentry_alerts.policy.validate import validate_command

        return validate_command(paths, strict=strict, fmt=fmt, backend=backend, out=sys.stdout)

    sys.exit(command.run_body(body, echo=_echo_error, leaves_nothing=True))


__all__ = ["main", "plain_validate"]
