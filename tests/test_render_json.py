"""`plan --format json`: one representation (Plan.to_dict), stable for diffs, fully documented.

The golden file made against the emulator through the real CLI is in
test_render_markdown_golden.py (it renders both formats from the same scenario).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from test_render_markdown import every_kind, make_plan

from sentry_alerts.plan import ACTIONS, Plan
from sentry_alerts.render.json_view import render_json

DOC = Path(__file__).resolve().parents[1] / "docs" / "plan-format.md"


def key_paths(value, prefix: str = "") -> set[str]:
    """Every key name in a JSON value, as `parent.key` paths (list items share their path)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            out |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            out |= key_paths(item, prefix + "[]")
    return out


def test_json_is_the_plan_itself_and_reads_back_exactly():
    plan = every_kind()
    text = render_json(plan)
    assert Plan.from_dict(json.loads(text)) == plan
    assert json.loads(text) == json.loads(json.dumps(plan.to_dict()))


def test_keys_are_sorted_at_every_level_and_output_is_byte_stable():
    plan = every_kind()
    text = render_json(plan)
    assert text == render_json(Plan.from_dict(json.loads(text)))
    assert text.endswith("}\n") and "\t" not in text

    def check(pairs):
        keys = [k for k, _ in pairs]
        assert keys == sorted(keys), keys
        return dict(pairs)

    json.loads(text, object_pairs_hook=check)
    assert text.startswith('{\n  "backend": {')  # two-space indentation, one key per line


def test_every_change_has_its_before_and_after_and_the_plan_its_context():
    data = json.loads(render_json(every_kind()))
    assert data["format_version"] == 1
    assert data["backend"]["name"] == "monitors" and data["dataset"]["name"] == "spans"
    assert data["target"] == {"org": "acme", "url": "https://us.sentry.io"}
    assert set(data["summary"]) == set(ACTIONS)
    assert sum(data["summary"].values()) == len(data["changes"])
    [update] = [c for c in data["changes"] if c["action"] == "update"]
    assert {"field": "critical_ms", "old": "750 ms", "new": "900 ms"} in update["fields"]
    assert update["live"]["critical_ms"] == 750 and update["desired"]["critical_ms"] == 900
    [create] = [c for c in data["changes"] if c["action"] == "create"]
    assert create["live"] is None and create["desired"]["name"].startswith("GET /api/a|b`c`")
    [delete] = [c for c in data["changes"] if c["action"] == "delete"]
    assert delete["desired"] is None and delete["live"]["remote_id"] == "16"


def test_non_ascii_is_kept_readable():
    text = render_json(make_plan((), backend_reason="monitors — chosen"))
    assert '"reason": "monitors — chosen"' in text and "\\u2014" not in text


def test_every_key_is_documented_in_plan_format_md():
    doc = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)*)`", doc))
    data = json.loads(render_json(every_kind()))
    missing = []
    for path in key_paths(data):
        parts = path.replace("[]", "").split(".")
        if "extra" in parts[:-1]:
            continue  # backend-private, documented as such
        leaf = parts[-1]
        dotted = ".".join(parts[-2:]) if len(parts) > 1 else leaf
        if leaf not in documented and dotted not in documented and not any(
                leaf in d.split(".") for d in documented):
            missing.append(path)
    assert not missing, f"keys missing from docs/plan-format.md: {sorted(missing)}"
