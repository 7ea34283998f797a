"""The `query` parameter of the detector and workflow lists: Sentry parses it with its search
grammar, so `key:value` terms must use a key the endpoint knows.

Sources (getsentry/sentry; docs/emulator-monitors.md): the workflow index test
`test_query_invalid_key` (`?query=invalid_key:value` → 400 `{"query": ["Invalid key for this
search: invalid_key"]}`) and `list_semantics` in `../shared/reference/sentry-contract/
workflow_api_errors.jsonc` (free text matches the name; `name:`, `action:`, `created_by:`);
the Terraform provider's sweeper filters detectors with `!type:issue_stream type:metric_issue`.
The emulator understands this subset: `name:` (substring, case-insensitive), `type:` and
`!type:` on detectors (`metric` aliases `metric_issue`), `action:` on workflows (an action
type); other known keys are accepted and ignored. Free-text words form one phrase matched
against name, description and type.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentry_alerts.emulator.core import ApiError

DETECTOR_KEYS = frozenset({"name", "type", "assignee", "id"})
WORKFLOW_KEYS = frozenset({"name", "action", "created_by"})
TYPE_ALIASES = {"metric": "metric_issue", "uptime": "uptime_domain_failure",
                "cron": "monitor_check_in_failure"}


@dataclass(frozen=True)
class Search:
    terms: tuple[tuple[str, str, bool], ...]  # (key, value, negated)
    phrase: str

    def matches(self, item: dict) -> bool:
        for key, value, negated in self.terms:
            if self._term(item, key, value) == negated:
                return False
        text = " ".join(str(item.get(k) or "") for k in ("name", "description", "type"))
        return self.phrase in text.lower()

    @staticmethod
    def _term(item: dict, key: str, value: str) -> bool:
        if key == "name":
            return value.lower() in str(item.get("name", "")).lower()
        if key == "type":
            return item.get("type") == TYPE_ALIASES.get(value, value)
        if key == "action":
            return any(a.get("type") == value for f in item.get("actionFilters") or []
                       for a in f.get("actions") or [])
        return True  # a known key the emulator does not model


def parse_search(query: str, keys: frozenset[str]) -> Search:
    """The query's terms, or 400 naming the first key the endpoint does not know."""
    terms = []
    free = []
    for word in query.split():
        key, sep, value = word.partition(":")
        if not sep or not key:
            free.append(word.strip('"'))
            continue
        negated = key.startswith("!")
        key = key.lstrip("!")
        if key not in keys:
            raise ApiError(400, {"query": [f"Invalid key for this search: {key}"]})
        terms.append((key, value.strip('"'), negated))
    return Search(tuple(terms), " ".join(free).lower())


__all__ = ["DETECTOR_KEYS", "WORKFLOW_KEYS", "Search", "parse_search"]
