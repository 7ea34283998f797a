"""`sentry-alerts loadtest verify`: did each endpoint keep its SLA under load?

Per load-tested transaction: the SLA's statistic as k6 measured it for the requests of its
group, the SLA, the margin, PASS or FAIL, and the alert threshold for context. Nothing passes by
default: a sub-metric missing from the summary, an empty one (no request was measured), a
missing statistic (k6 leaves p(99) out unless asked) or a k6 threshold k6 itself reports as
failed is a FAIL with its reason. The verdict is computed from the measured values and the
policy, not taken from the summary's thresholds, which only add reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sentry_alerts.loadtest.metrics import (
    DURATION,
    FAILED,
    K6_STATISTIC,
    REQUESTS,
    sla_assertion,
    sub_metric,
)
from sentry_alerts.loadtest.model import Endpoint, LoadTestPlan
from sentry_alerts.loadtest.summary import Metric, Summary
from sentry_alerts.model import format_window

Result = Literal["pass", "fail", "no-sla"]


@dataclass
class EndpointVerdict:
    transaction: str
    key: str
    group: str
    sla_statistic: str | None
    sla_ms: float | None
    alert_statistic: str
    alert_critical_ms: float
    alert_window: str
    result: Result = "pass"
    measured_ms: float | None = None  # the SLA's statistic
    alert_measured_ms: float | None = None  # the alert's statistic over the whole test
    requests: int | None = None
    error_rate: float | None = None
    max_error_rate: float = 0.0
    reasons: list[str] = field(default_factory=list)  # why it failed
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure

    @property
    def margin_ms(self) -> float | None:
        """Headroom below the SLA (negative: by how much it was missed)."""
        if self.measured_ms is None or self.sla_ms is None:
            return None
        return self.sla_ms - self.measured_ms

    def fail(self, reason: str) -> None:
        self.result = "fail"
        self.reasons.append(_sentence(reason))

    def note(self, note: str) -> None:
        self.notes.append(_sentence(note))


@dataclass
class Verification:
    policy: str
    summary: Summary
    endpoints: list[EndpointVerdict]
    skipped: list[str]  # transactions with `load_test: {skip: true}`
    unknown_groups: list[str]  # groups the summary measured that the policy does not name

    @property
    def ok(self) -> bool:
        return all(e.result != "fail" for e in self.endpoints)

    @property
    def failed(self) -> list[EndpointVerdict]:
        return [e for e in self.endpoints if e.result == "fail"]


def verify(plan: LoadTestPlan, summary: Summary) -> Verification:
    verdicts = [_verify_endpoint(e, summary, plan.settings.max_error_rate)
                for e in plan.endpoints]
    known = {e.group for e in plan.endpoints}
    prefix = f"{DURATION}{{group:::"
    unknown = sorted(name[len(prefix):-1] for name in summary.metrics
                     if name.startswith(prefix) and name.endswith("}")
                     and name[len(prefix):-1] not in known)
    return Verification(plan.policy.name, summary, verdicts,
                        [s.transaction for s in plan.skipped], unknown)


def _stat(metric: Metric, statistic: str) -> float | None:
    k6_name = K6_STATISTIC[statistic]
    if k6_name in metric.values:
        return metric.values[k6_name]
    return metric.values.get("med") if statistic == "p50" else None  # k6's med is p(50)


def _verify_endpoint(endpoint: Endpoint, summary: Summary, max_error_rate: float) -> EndpointVerdict:
    spec = endpoint.spec
    v = EndpointVerdict(
        transaction=spec.transaction, key=spec.key, group=endpoint.group,
        sla_statistic=spec.sla_statistic, sla_ms=spec.sla_ms, alert_statistic=spec.statistic,
        alert_critical_ms=spec.critical_ms, alert_window=format_window(spec.window_minutes),
        result="pass" if spec.sla_ms is not None else "no-sla", max_error_rate=max_error_rate)
    names = {kind: sub_metric(kind, endpoint.group) for kind in (DURATION, FAILED, REQUESTS)}
    duration, failed, requests = (summary.metrics.get(names[k]) for k in (DURATION, FAILED, REQUESTS))

    if requests is not None and "count" in requests.values:
        v.requests = int(requests.values["count"])
    if duration is None:
        v.fail(f"the summary has no `{names[DURATION]}`: k6 only reports a group's latency when a "
               "threshold names it, so this endpoint was not measured on its own. Was the script "
               "generated from this policy? `sentry-alerts loadtest script` writes one that is")
    elif v.requests == 0 or (v.requests is None and _all_zero(duration)):
        v.fail(f"no request to {endpoint.group} was measured (`{names[DURATION]}` is empty); k6 "
               "passes a threshold on an empty metric, this does not. Did the requests go to "
               "another group, or did the test stop before reaching it?")
    else:
        _judge_latency(v, duration)
    if failed is not None and "rate" in failed.values:
        v.error_rate = failed.values["rate"]
        if v.error_rate > max_error_rate and v.requests != 0:
            v.fail(f"{format_rate(v.error_rate)} of its requests failed (unexpected status or no "
                   f"answer); the policy allows {format_rate(max_error_rate)}")
    elif duration is not None:
        v.note(f"no `{names[FAILED]}` in the summary: its error rate is unknown")
    _k6_verdicts(v, endpoint, {names[k]: m for k, m in
                               ((DURATION, duration), (FAILED, failed), (REQUESTS, requests)) if m})
    return v


def _all_zero(metric: Metric) -> bool:
    return bool(metric.values) and all(value == 0 for value in metric.values.values())


def _judge_latency(v: EndpointVerdict, duration: Metric) -> None:
    v.alert_measured_ms = _stat(duration, v.alert_statistic)
    if v.sla_statistic is None or v.sla_ms is None:
        return
    k6_name = K6_STATISTIC[v.sla_statistic]
    v.measured_ms = _stat(duration, v.sla_statistic)
    if v.measured_ms is None:
        v.fail(f"the summary has no {k6_name} for {v.group}: k6 leaves it out unless "
               f"summaryTrendStats lists it (the generated script does); add \"{k6_name}\" to "
               "options.summaryTrendStats, or run k6 with --summary-trend-stats")
    elif v.measured_ms >= v.sla_ms:
        over = v.measured_ms - v.sla_ms
        v.fail(f"{v.sla_statistic} was {format_ms_measured(v.measured_ms)}, "
               + (f"{format_ms_measured(over)} above" if over else "at")
               + f" the SLA of {v.sla_statistic} < {format_ms_measured(v.sla_ms)}")


def _k6_verdicts(v: EndpointVerdict, endpoint: Endpoint, metrics: dict[str, Metric]) -> None:
    """k6's own threshold results add reasons (never remove one): a threshold it says failed
    that our checks passed, or a script whose SLA threshold is not the policy's."""
    expected = (sla_assertion(v.sla_statistic, v.sla_ms)
                if v.sla_statistic and v.sla_ms is not None else None)
    duration_name = sub_metric(DURATION, endpoint.group)
    for name, metric in metrics.items():
        for expression, passed in metric.passed.items():
            if not passed and v.result != "fail":
                v.fail(f"k6 reports its threshold `{expression}` on `{name}` as failed")
    written = metrics.get(duration_name)
    if expected and written and written.passed and expected not in written.passed:
        v.note(f"the script's threshold on this endpoint is `{', '.join(written.passed)}`, "
                       f"not the policy's `{expected}`: it is out of date; generate it again "
                       "with `sentry-alerts loadtest script`")


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def format_ms_measured(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def format_rate(rate: float) -> str:
    return f"{rate * 100:.1f}%" if rate * 100 % 1 else f"{rate * 100:.0f}%"

