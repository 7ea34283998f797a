"""Options several commands share (plan, apply, import, drift), defined once so they read the
same everywhere. Kept out of cli.py, which imports the command modules that use them."""

from __future__ import annotations

from typing import Annotated

import typer

VerboseOpt = Annotated[
    bool, typer.Option("-v", "--verbose", help="Log each HTTP call on stderr: method, path, "
                       "status, time and attempt (never headers or the token).")]
RetryBudgetOpt = Annotated[
    int, typer.Option("--retry-budget", metavar="SECONDS",
                      help="Each request that fails in passing (5xx, 429, a dropped "
                        "connection) is retried, each retry announced on stderr, for at most "
                        "this long and 10 attempts. A wrong or dead --url (DNS, refused, TLS) "
                        "fails at once.")]

__all__ = ["RetryBudgetOpt", "VerboseOpt"]
