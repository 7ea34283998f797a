"""How k6 names what it measures: the per-endpoint sub-metrics and the statistics.

The generated script declares these thresholds, `verify` looks the same names up in the summary
and `rehearse` reads the same tags from the raw output, so all three use these functions. A k6
sub-metric exists in a summary under exactly the text written in the threshold (k6 notes, §2).
"""

from __future__ import annotations

# The policy's statistics as k6 aggregations (k6's trend stats; p50 is written p(50), which k6
# computes like `med`).
K6_STATISTIC = {
    "p50": "p(50)", "p75": "p(75)", "p90": "p(90)", "p95": "p(95)", "p99": "p(99)",
    "avg": "avg", "max": "max",
}
# k6's default summaryTrendStats; the script adds every other statistic the policy uses.
DEFAULT_TREND_STATS = ("avg", "min", "med", "max", "p(90)", "p(95)")

DURATION = "http_req_duration"
FAILED = "http_req_failed"
REQUESTS = "http_reqs"


def group_tag(group: str) -> str:
    """The `group` tag of requests in a top-level group: `::NAME` (k6 notes, §1)."""
    return f"::{group}"


def sub_metric(metric: str, group: str) -> str:
    """`http_req_duration{group:::GET /api/propostas}`: k6 splits the inside on its first `:`,
    so the value is `::GET /api/propostas`, the group's tag."""
    return f"{metric}{{group:{group_tag(group)}}}"


def k6_number(value: float) -> str:
    """A plain decimal, as k6's threshold grammar wants (no exponent): 1e6 -> '1000000'."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def sla_assertion(statistic: str, objective_ms: float) -> str:
    """`p(95)<500`: the SLA holds while the statistic stays below the objective."""
    return f"{K6_STATISTIC[statistic]}<{k6_number(objective_ms)}"


def trend_stats(statistics: list[str]) -> list[str]:
    """k6's default trend stats plus every one the policy uses; percentiles in order."""
    wanted = set(DEFAULT_TREND_STATS) | {K6_STATISTIC[s] for s in statistics}
    plain = [s for s in ("avg", "min", "med", "max") if s in wanted]
    percentiles = sorted((s for s in wanted if s.startswith("p(")), key=lambda s: float(s[2:-1]))
    return [*plain, *percentiles]


def group_name_problem(name: str) -> str | None:
    """Why a transaction name cannot be a k6 group named in a threshold, or None."""
    if "," in name:
        return "k6 threshold tags cannot contain `,`"
    if "::" in name:
        return "k6 group names cannot contain `::`"
    if name != name.strip(" \t'\""):
        return "k6 trims spaces and quotes around tag values"
    return None
