"""The policy's value rules as plain functions: keys, slugs, owners, email targets,
environments, Slack channels, non-blank text.

Each returns the value unchanged or raises ValueError with the message a user reads.
models.py wraps them in pydantic validators (and the JSON Schema); plain.py, which reads the
usual shapes of a policy without pydantic, calls them directly, so both apply the same rules.
"""

from __future__ import annotations

import re

from sentry_alerts.model import STATISTICS

# The SLA/alert statistics are the model's (one list for policy, backends and guides).
STATISTIC_KEYS: tuple[str, ...] = STATISTICS
DATASET_CHOICES: tuple[str, ...] = ("auto", "spans", "metrics", "transactions")
KEY_RE = re.compile(r"^[A-Za-z0-9._-]+$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OWNER_PATTERN = r"^(team:[a-z0-9][a-z0-9_-]*|user:[^@\s]+@[^@\s]+\.[^@\s]+)$"
SLACK_CHANNEL_MAX = 80


def check_key(what: str, max_len: int, value: str) -> str:
    """A key that is part of the marker on every alert (the policy's name, a transaction's id)."""
    if not KEY_RE.fullmatch(value):
        suggestion = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-") or "my-key"
        raise ValueError(
            f"{what} {value!r} may use only letters, digits, `.`, `_` and `-` "
            f"(it is part of the marker on every alert); e.g. {suggestion!r}"
        )
    if len(value) > max_len:
        raise ValueError(f"{what} is {len(value)} characters long; keep it to {max_len}")
    return value


def check_slug(what: str, value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        fixed = re.sub(r"[^a-z0-9_-]+", "-", value.strip().lower()).strip("-")
        hint = f"; did you mean {fixed!r}?" if fixed and fixed != value else ""
        raise ValueError(
            f"{what} {value!r} is not a slug: Sentry slugs are lowercase letters, digits, "
            f"`-` and `_`, as in the URL{hint}"
        )
    return value


def check_owner(value: str) -> str:
    kind, _, name = value.partition(":")
    if kind == "team" and SLUG_RE.fullmatch(name):
        return value
    if kind == "user" and EMAIL_RE.fullmatch(name):
        return value
    raise ValueError(
        f"owner {value!r} must be `team:<team slug>` or `user:<email>`, "
        "e.g. team:backend or user:ann@example.com"
    )


def check_email(value: str) -> str:
    kind, _, name = value.partition(":")
    if (kind == "team" and SLUG_RE.fullmatch(name)) or (kind == "user" and EMAIL_RE.fullmatch(name)):
        return value
    raise ValueError(
        f"email target {value!r} must be `team:<team slug>` or `user:<email>`, "
        "e.g. {email: team:backend} or {email: user:ann@example.com}"
    )


def check_environment(value: str) -> str:
    if not value.strip() or "/" in value or "\n" in value or len(value) > 64:
        raise ValueError(
            f"environment {value!r} is not a Sentry environment name (1-64 characters, no `/` "
            "or line breaks), e.g. production"
        )
    return value


def check_non_blank(what: str, value: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} is empty; write a value")
    return value


def check_slack_channel(value: str) -> str:
    """Slack's rules for channel names (offline, so `validate` catches what apply would fail
    on): lowercase letters, digits, `-` and `_`, at most 80 characters. `@user` is a person."""
    name = value.strip()
    if name.startswith("@"):
        return value
    name = name.lstrip("#")
    fixed = "-".join(name.lower().split())
    if any(c.isspace() for c in name):
        problem = "has a space; Slack channel names have none"
    elif any(c.isupper() for c in name):
        problem = "has capital letters; Slack channel names are lowercase"
    elif len(name) > SLACK_CHANNEL_MAX:
        return _slack_error(value, f"is {len(name)} characters long; Slack allows "
                                   f"{SLACK_CHANNEL_MAX}", None)
    elif not all(c.isalnum() or c in "-_" for c in name):
        problem = "may only use letters, digits, `-` and `_` (Slack's rule)"
        fixed = "".join(c if c.isalnum() or c in "-_" else "-" for c in fixed).strip("-")
    else:
        return value
    return _slack_error(value, problem, fixed)


def _slack_error(value: str, problem: str, fixed: str | None) -> str:
    hint = f'; did you mean "#{fixed}"?' if fixed and fixed != value.strip().lstrip("#") else ""
    raise ValueError(f"Slack channel {value.strip()!r} {problem}{hint}")


__all__ = ["DATASET_CHOICES", "EMAIL_RE", "KEY_RE", "OWNER_PATTERN", "SLACK_CHANNEL_MAX",
           "SLUG_RE", "STATISTIC_KEYS", "check_email", "check_environment", "check_key",
           "check_non_blank", "check_owner", "check_slack_channel", "check_slug"]
