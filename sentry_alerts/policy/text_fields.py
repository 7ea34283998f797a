"""The policy's free-text fields: what each may hold (issue 12, hostile input).

Most characters are fine anywhere: quotes, backslashes, `|`, Markdown, HTML and `../` reach
Sentry as written, and every output escapes them where they mean something (the search query,
Markdown, terminals; docs/reliability.md, "Hostile input"). Control, bidi and zero-width
characters are refused in every value (`invisible-character`, checks.py). What is refused here,
per field, is what cannot be written safely at all:

- `transaction`, `name`, `runbook` and the Slack fields are one line: a line break or tab would
  add lines to the alert's description (where the ownership marker and the thresholds are
  read back from), to plans and to the k6 script's comments (`line-break`);
- `transaction` is quoted into Sentry's search query; a backslash at its end or before `*`
  cannot be quoted with its meaning kept (`search-syntax`), and Sentry keeps at most 200
  characters of a transaction name (`too-long`);
- `runbook` is a link: at most 2,000 characters (`too-long`).

Each finding is reported at the value's line and column. Only checks of strings: wrong types
are the models' to report.
"""

from __future__ import annotations

from typing import Any

from sentry_alerts.model import unquotable_search_value

MAX_TRANSACTION = 200  # Sentry (Relay) keeps at most 200 characters of a transaction name
MAX_RUNBOOK = 2_000  # a link people click in Slack: longer URLs break in browsers and chat
ONE_LINE = ("transaction", "name", "runbook")
SLACK_FIELDS = ("channel", "channel_id", "workspace")


def check_text_fields(checker: Any, data: dict) -> None:
    """Report what the free-text fields of `data` (the whole policy) may not hold."""
    defaults = data.get("defaults")
    if isinstance(defaults, dict):
        _check_entry(checker, defaults, ("defaults",))
    transactions = data.get("transactions")
    if isinstance(transactions, list):
        for i, item in enumerate(transactions):
            if isinstance(item, dict):
                _check_entry(checker, item, ("transactions", i))


def _check_entry(checker: Any, entry: dict, path: tuple) -> None:
    for field in ONE_LINE:
        value = entry.get(field)
        if isinstance(value, str):
            _one_line(checker, value, (*path, field), f"`{field}`")
    transaction = entry.get("transaction")
    if isinstance(transaction, str):
        why = unquotable_search_value(transaction)
        if why:
            checker.report((*path, "transaction"), "error", "search-syntax",
                           f"the transaction name cannot be put into Sentry's search query "
                           f"with its meaning kept: {why}, so no alert can filter on exactly this "
                           "name. Check that it is copied exactly as Sentry shows it")
        if len(transaction) > MAX_TRANSACTION:
            checker.report((*path, "transaction"), "error", "too-long",
                           f"the transaction name is {len(transaction):,} characters; Sentry "
                           f"keeps at most {MAX_TRANSACTION}, so an alert on it would never "
                           "fire. Copy the name exactly as Sentry shows it")
    runbook = entry.get("runbook")
    if isinstance(runbook, str) and len(runbook) > MAX_RUNBOOK:
        checker.report((*path, "runbook"), "error", "too-long",
                       f"the runbook link is {len(runbook):,} characters; keep it to "
                       f"{MAX_RUNBOOK:,} (a link people click in Slack)")
    notify = entry.get("notify")
    if isinstance(notify, list):
        for i, target in enumerate(notify):
            slack = target.get("slack") if isinstance(target, dict) else None
            where = (*path, "notify", i, "slack")
            if isinstance(slack, str):
                _one_line(checker, slack, where, "the Slack channel")
            elif isinstance(slack, dict):
                for field in SLACK_FIELDS:
                    if isinstance(slack.get(field), str):
                        _one_line(checker, slack[field], (*where, field), f"`{field}`")


def _one_line(checker: Any, value: str, path: tuple, what: str) -> None:
    if "\n" not in value and "\r" not in value and "\t" not in value:
        return  # the usual case, without a loop over the characters (issue 11)
    bad = next((c for c in value if c in "\n\r\t"), None)
    if bad is not None:
        kind = "a tab" if bad == "\t" else "a line break"
        checker.report(path, "error", "line-break",
                       f"{what} must be one line, but it holds {kind} (a quoted or multi-line "
                       "YAML value); it would add lines to the alert's description and to "
                       "plans. Write it on one line")
