"""One finding about a policy file: where, how bad, which check, and what to write instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
# A message quotes the value it is about; a 4 MB line must not become a 4 MB error. Longer
# messages have each long run of text shortened (and are cut at the end if still too long).
MAX_MESSAGE = 1_000
_LONG_RUN = re.compile(r"\S{121,}")


def _shortened(message: str) -> str:
    message = _LONG_RUN.sub(lambda m: f"{m.group(0)[:60]}… ({len(m.group(0)):,} characters)",
                            message)
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 24] + \
        "… (message shortened)"


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int  # 1-based; file-level problems (unreadable, too large) point at 1:1
    col: int  # 1-based
    severity: Severity
    code: str  # short stable slug, e.g. "unknown-key"; listed in docs/policy-reference.md
    message: str  # what is wrong and what to write instead

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", _shortened(self.message))

    def format(self) -> str:
        """`file:line:col: error: message [code]`, the form compilers and editors understand."""
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message} [{self.code}]"

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }
