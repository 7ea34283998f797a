"""Turn pydantic's validation errors into diagnostics a person can act on.

pydantic says "Extra inputs are not permitted" at ('transactions', 0, 'slaa'); a user needs
"unknown key `slaa`: did you mean `sla`?" at line 12, column 5.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel

from sentry_alerts.policy.durations import _show
from sentry_alerts.policy.models import STATISTIC_KEYS, Defaults, PolicyHead, Transaction
from sentry_alerts.policy.yamltree import Path

# What to write, for messages about a missing or mistyped key.
EXAMPLES: dict[str, str] = {
    "version": "version: 1",
    "name": "name: critical-endpoints",
    "organization": "organization: acme",
    "dataset": "dataset: auto",
    "defaults": "defaults: {project: backend, window: 5m}",
    "transactions": "transactions: [{transaction: GET /api/x, sla: {p95: 500ms}, alert: {critical: 750ms}}]",
    "project": "project: backend",
    "environment": "environment: production",
    "window": "window: 5m",
    "owner": "owner: team:backend",
    "notify": 'notify: [{slack: "#ops-alerts"}]',
    "runbook": "runbook: https://wiki.example.com/runbooks/x",
    "transaction": "transaction: GET /api/propostas",
    "id": "id: get-propostas",
    "sla": "sla: {p95: 500ms}",
    "alert": "alert: {critical: 750ms}",
    "critical": "critical: 750ms",
    "warning": "warning: 600ms",
    "resolve": "resolve: 500ms",
    "metric": "metric: p95",
    "slack": 'slack: "#ops-alerts"',
    "email": "email: team:backend",
    "channel": 'channel: "#ops-alerts"',
    "channel_id": "channel_id: C0123ABC",
    "workspace": "workspace: Acme",
}
_TOP_ONLY = set(PolicyHead.model_fields) - set(Defaults.model_fields)
_TRANSACTION_ONLY = set(Transaction.model_fields) - set(Defaults.model_fields)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """BaseModel classes inside an annotation (Optional, list, Annotated, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found.extend(_models_in(arg))
    return found


def model_at(root: type[BaseModel], loc: Path) -> type[BaseModel] | None:
    """The model that validates the mapping at `loc` (list indices and union tags skipped)."""
    current: type[BaseModel] | None = root
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int) or str(part).startswith("<"):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        models = _models_in(field.annotation)
        current = models[0] if models else None
    return current


def display(loc: Path) -> str:
    """('defaults', 'notify', 0, 'slack') -> 'defaults.notify[0].slack'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith("<"):
            out += ("." if out else "") + str(part)
    return out or "the top level"


def clean_loc(loc: tuple[Any, ...]) -> Path:
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("<")))


def did_you_mean(word: str, choices: list[str]) -> str | None:
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def translate(err: dict[str, Any], root: type[BaseModel], prefix: Path) -> tuple[Path, bool, str, str]:
    """(path, at_key, code, message) for one pydantic error; `prefix` is where `root` sits."""
    loc = clean_loc(tuple(err["loc"]))
    kind = err["type"]
    full = (*prefix, *loc)
    key = str(full[-1]) if full else ""
    where = display(full)
    value = err.get("input")

    if kind == "extra_forbidden":
        parent = model_at(root, loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        return full, True, "unknown-key", _unknown_key(key, display((*prefix, *loc[:-1])), allowed, parent)
    if kind == "missing":
        parent_where = display((*prefix, *loc[:-1]))
        example = EXAMPLES.get(key, f"{key}: ...")
        ctx = "" if not loc[:-1] and not prefix else f" in {parent_where}"
        return full[:-1], False, "missing-key", f"missing required key `{key}`{ctx}; add `{example}`"
    if kind == "string_type" and isinstance(value, dict) and key in ("name", "transaction"):
        return full, False, "wrong-type", (
            f"`{where}` must be text, but YAML read a mapping: an unquoted value that starts "
            "with `{` is a mapping in YAML. Put it in quotes, e.g. "
            '`name: "{transaction}: {metric} latency"`')
    if kind == "string_type" and value is None and key in ("slack", "channel"):
        return full, False, "wrong-type", (
            f"`{where}` is empty; if you wrote a channel such as #ops-alerts without quotes, YAML "
            'read `#` as the start of a comment. Quote it: `slack: "#ops-alerts"`')
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return full, False, "wrong-type", (
            f"`{where}` must be a mapping (`key: value` lines), got {_show(value)}"
            + _example(key, full)
        )
    if kind == "list_type":
        return full, False, "wrong-type", (
            f"`{where}` must be a list (lines starting with `- `), got {_show(value)}" + _example(key, full)
        )
    if kind == "string_type":
        quote = "; put it in quotes" if isinstance(value, int | float) and not isinstance(value, bool) else ""
        return full, False, "wrong-type", f"`{where}` must be text, got {_show(value)}{quote}" + _example(key, full)
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        if key == "version" and value == "1":
            return full, False, "bad-version", "write `version: 1` without quotes (a number)"
        if key == "version":
            return full, False, "bad-version", (
                f"version {_show(value)} is not supported; this sentry-alerts reads `version: 1`"
            )
        hint = ""
        if isinstance(value, str):
            options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
            guess = did_you_mean(value, [o for o in options if o])
            hint = f"; did you mean `{guess}`?" if guess else ""
        code = {"metric": "bad-statistic", "dataset": "bad-dataset"}.get(key, "bad-value")
        return full, False, code, f"`{where}` must be one of {expected}, got {_show(value)}{hint}"
    if kind in ("value_error", "assertion_error"):
        message = str(err.get("ctx", {}).get("error", err["msg"]))
        return full, False, _value_code(key, message), message
    if kind == "string_too_short":
        return full, False, "bad-value", f"`{where}` is empty; write a value" + _example(key, full)
    return full, False, "wrong-type", f"`{where}`: {err['msg']}" + _example(key, full)


def _example(key: str, full: Path = ()) -> str:
    if key == "name" and len(full) > 1:  # a transaction's or the defaults' alert name template
        return ", e.g. `name: \"{transaction}: {metric} latency\"`"
    if key.isdigit() and len(full) >= 2:  # a list item
        item = {"transactions": "- transaction: GET /api/a", "notify": '- slack: "#ops-alerts"'}
        example = item.get(str(full[-2]))
        return f", e.g. `{example}` with its keys indented below" if example else ""
    example = EXAMPLES.get(key)
    return f", e.g. `{example}`" if example else ""


def _value_code(key: str, message: str) -> str:
    if key in ("critical", "warning", "resolve") or key in STATISTIC_KEYS:
        return "bad-duration"
    if key == "window":
        return "bad-window"
    if key in ("id", "name") and "letters, digits" in message:
        return "bad-key"
    if key in ("owner", "email", "project", "organization", "environment"):
        return f"bad-{key}"
    if message.startswith(("a notify target", "`slack` is empty")):
        return "bad-target"
    if key == "sla" or message.startswith("sla "):
        return "bad-sla"
    return "bad-value"


def _unknown_key(key: str, parent_where: str, allowed: list[str], parent: type[BaseModel] | None) -> str:
    here = f" in {parent_where}" if parent_where != "the top level" else " at the top level"
    guess = did_you_mean(key, allowed)
    if guess:
        return f"unknown key `{key}`{here}; did you mean `{guess}`?"
    if parent is PolicyHead and key in set(Transaction.model_fields):
        spot = "under `defaults:` or in a transaction" if key in Defaults.model_fields else "in a transaction"
        return f"unknown key `{key}` at the top level; `{key}` belongs {spot}"
    if parent is Defaults and key in _TRANSACTION_ONLY and key in _TOP_ONLY:
        return (f"unknown key `{key}` in defaults; `{key}` belongs at the top level of the file "
                "(for every transaction) or in a transaction")
    if parent is Defaults and key in _TRANSACTION_ONLY:
        return f"unknown key `{key}` in defaults; `{key}` is set per transaction, not in defaults"
    if parent is Defaults and key in _TOP_ONLY:
        return f"unknown key `{key}` in defaults; `{key}` belongs at the top level of the file"
    if parent is Transaction and key in _TOP_ONLY:
        return f"unknown key `{key}` in a transaction; `{key}` belongs at the top level of the file"
    return f"unknown key `{key}`{here}; allowed keys: {', '.join(allowed)}"
