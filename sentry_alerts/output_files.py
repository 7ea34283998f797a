"""Writing a file the user asked for (`import --out`, `loadtest script --out`): its folder is
made, and a failure is one sentence naming the path, not a traceback."""

from __future__ import annotations

from pathlib import Path

from sentry_alerts.errors import SentryAlertsError


def write_output(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SentryAlertsError(f"cannot write {path}: {exc.strerror or exc}.") from None


__all__ = ["write_output"]
