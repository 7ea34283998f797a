"""The plan as JSON (`plan --format json`, and the file `plan --out FILE` saves).

One representation: this is `Plan.to_dict()` serialised, nothing added, nothing dropped, so
what a script reads from `--format json` is exactly what `apply FILE` executes. The format is
documented key by key in docs/plan-format.md.

Stable for diffs: keys sorted at every level (including backend-private `extra` data), two-space
indentation, non-ASCII kept as is, one trailing newline. The order of `changes` is the plan's
(desired alerts in policy order, then orphans/duplicates/deletes by key).

(Named json_view, not json: `from sentry_alerts.render import json` would shadow the stdlib
module in the importing file.)
"""

from __future__ import annotations

import json

from sentry_alerts.plan_data import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["render_json"]
