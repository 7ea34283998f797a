"""`sentry-alerts schema`: the policy file's JSON Schema, for editors (yaml-language-server).

Generated from the pydantic models, so it cannot drift from what `validate` checks for shape.
Semantic rules (thresholds, keys, templates) are only in `validate`.
"""

from __future__ import annotations

import json
from typing import Any

from sentry_alerts.policy.models import PolicyDocument


def policy_schema() -> dict[str, Any]:
    schema = PolicyDocument.model_json_schema(mode="validation")
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
