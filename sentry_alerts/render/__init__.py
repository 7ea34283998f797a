"""Views of a plan, each reading the same `Plan` data: text (the terminal, `text.py`), Markdown
(a pull-request comment, `markdown.py`) and JSON (`json_view.py`)."""

from __future__ import annotations


def plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def kept_counts(summary: dict[str, int]) -> list[str]:
    """The summary's tail, in every format: what the plan leaves alone and why
    ("1 conflict", "2 orphans kept", "1 duplicate kept"); empty when nothing is kept."""
    kept = []
    if summary["conflict"]:
        kept.append(plural(summary["conflict"], "conflict"))
    if summary["orphan"]:
        kept.append(plural(summary["orphan"], "orphan") + " kept")
    if summary["duplicate"]:
        kept.append(plural(summary["duplicate"], "duplicate") + " kept")
    return kept
