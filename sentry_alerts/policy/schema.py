"""`sentry-alerts schema`: the policy file's JSON Schema, for editors (yaml-language-server).

Generated from the pydantic models, so it cannot drift from what `validate` checks for shape.
Semantic rules (thresholds, keys, templates) are only in `validate`.
"""

from __future__ import annotations

import json
from typing import Any

from sentry_alerts.policy.models import PolicyDocument

# Keys where null means something (clear a default: all environments, no owner). Elsewhere
# pydantic's "X or null" is unwrapped so editors point at the offending key, not its parent.
NULL_MEANS_SOMETHING = {"environment", "owner"}


def _tidy(node: Any, key: str | None = None) -> Any:
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    if key == "properties":
        return {name: _tidy(value, name) for name, value in node.items()}
    out = {k: _tidy(v, k) for k, v in node.items()}
    branches = out.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches and key not in NULL_MEANS_SOMETHING:
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) == 1:
            out.pop("anyOf")
            if out.get("default", "") is None:
                out.pop("default")
            out = {**rest[0], **out}
    return out


def policy_schema() -> dict[str, Any]:
    schema = _tidy(PolicyDocument.model_json_schema(mode="validation"))
    schema.pop("title", None)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sentry-alerts policy (version 1)",
        **schema,
    }
    schema["description"] = (
        "A sentry-alerts policy: the transactions you monitor, their SLAs and alert thresholds. "
        "Reference: docs/policy-reference.md"
    )
    return schema


def schema_json() -> str:
    return json.dumps(policy_schema(), indent=2, sort_keys=False)
