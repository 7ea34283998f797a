"""How the command line's help reads, and why it starts fast.

typer's defaults print a type after every option (`--strict <bool>`, `--format <str>`,
`paths... <list[Path]>`), which reads as "this flag takes a value": `--strict true` then treats
`true` as a policy file. Here flags show no value, options show a word for theirs
(`--format FORMAT`, `--out FILE`), and arguments show their name only.

Help is plain text (typer's Rich help costs about 0.1 s of imports), and parsing
`sentry-alerts COMMAND --help` must not reach typer's pydantic-based value coercion: typer
coerces the top level's unset flags (`--help`, the completion options, default None) through a
pydantic adapter, which alone costs about 0.15 s. Giving those flags the default False (a bool
needs no coercion) avoids it, and running a command converts its options without pydantic too
(cli_coercion.py). `benchmarks/bench_startup.py` measures the result;
`tests/test_cli_conventions.py` pins that `--help` imports neither rich nor pydantic.

The top-level help ends with EPILOG: every environment variable the tool reads, the exit
codes and how to install shell completion.
"""

from __future__ import annotations

from typing import Any

from typer import TyperException
from typer.core import TyperArgument, TyperCommand, TyperGroup

from sentry_alerts.cli_coercion import convert_plainly

# `\b` keeps click from re-wrapping a paragraph.
EPILOG = """\b
Environment variables:
  SENTRY_AUTH_TOKEN    the auth token (plan, apply; also --token); never printed
  SENTRY_URL           Sentry's address, default https://sentry.io/ (also --url)
  SENTRY_ORG           the organization slug (also --org; else the policy's)
  SENTRY_ALERTS_DSN    drift reports itself to this DSN (also --monitor-dsn); never SENTRY_DSN
  NO_COLOR             set: no colour in the plan and the apply report
  SENTRY_ALERTS_DEBUG  set to 1: a traceback instead of the one-paragraph bug report
  SENTRY_ALERTS_MAX_POLICY_MB  the size limit for policy files (also --max-policy-mb)
  REQUESTS_CA_BUNDLE   a CA certificate file for a self-hosted Sentry (also --ca-bundle)
  HTTPS_PROXY          a proxy for the calls to Sentry (NO_PROXY: hosts without it)

\b
Exit codes: 0 success or no changes, 1 error, 2 changes found (plan --detailed-exitcode,
drift), 3 no API access (a manual guide was written), 130 interrupted (Ctrl-C).
Shell completion: sentry-alerts --install-completion (bash, zsh, fish, PowerShell).
Documentation: README.md and docs/ in the source distribution."""


USAGE_ERROR_EXIT = 1  # not click's 2: `plan --detailed-exitcode` exits 2 for "changes found"


def _usage_error_exits_1(exc: TyperException) -> None:
    if getattr(exc, "exit_code", None) == 2:  # click's UsageError and its kinds
        exc.exit_code = USAGE_ERROR_EXIT  # type: ignore[attr-defined]


class PlainGroup(TyperGroup):
    """The top level (`sentry-alerts`): its unset flags default to False (see above), and a
    usage error (an unknown option or command, a bad value) exits 1 like every other error:
    click's 2 would read as "changes found" to a CI job running `plan --detailed-exitcode`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        convert_plainly(self.params)  # no pydantic to read the options (cli_coercion.py)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        convert_plainly([option] if option is not None else [])
        return option

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for param in [*self.params, self.get_help_option(ctx)]:
            if param is not None and getattr(param, "is_flag", False) and param.default is None:
                param.default = False
        try:
            return super().parse_args(ctx, args)
        except TyperException as exc:
            _usage_error_exits_1(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:  # the subcommand's own arguments are parsed in here
            return super().invoke(ctx)
        except TyperException as exc:
            _usage_error_exits_1(exc)
            raise


class PlainCommand(TyperCommand):
    """A subcommand: arguments appear by name (`POLICY`, `PATH...`) in the usage line and the
    argument list, without typer's `{…}` and `<path>`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        convert_plainly(self.params)  # no pydantic to read the arguments (cli_coercion.py)
        for param in self.params:
            if isinstance(param, TyperArgument):
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        convert_plainly([option] if option is not None else [])
        return option

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "").upper()
                pieces.append(name if param.required else f"[{name}]")
        return pieces


__all__ = ["EPILOG", "USAGE_ERROR_EXIT", "PlainCommand", "PlainGroup"]
