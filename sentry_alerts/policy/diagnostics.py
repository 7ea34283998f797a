"""One finding about a policy file: where, how bad, which check, and what to write instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int  # 1-based; file-level problems (unreadable, too large) point at 1:1
    col: int  # 1-based
    severity: Severity
    code: str  # short stable slug, e.g. "unknown-key"; listed in docs/policy-reference.md
    message: str  # what is wrong and what to write instead

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
