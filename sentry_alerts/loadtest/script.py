"""`sentry-alerts loadtest script`: the k6 script for a policy, written to be read.

One `group` per transaction with its request and a status check; `options.stages` from the
chosen profile (all profiles are in the script, `-e PROFILE=...` picks one); per group, a
threshold for the SLA, one for the error rate and `count>0` on its requests, because a
threshold on a metric without samples passes silently (k6#1346); `summaryTrendStats` with
every statistic the policy uses (p(99) is absent otherwise). Every value from the policy is
written as a JSON literal, so no name or body can break out of its string. Credentials are
read from the environment when k6 runs and never written here.
"""

from __future__ import annotations

import json
from typing import Any

from sentry_alerts.loadtest.metrics import (
    DURATION,
    FAILED,
    REQUESTS,
    k6_number,
    sla_assertion,
    sub_metric,
    trend_stats,
)
from sentry_alerts.loadtest.model import Endpoint, LoadTestPlan
from sentry_alerts.loadtest.profiles import Stage, k6_duration
from sentry_alerts.model import format_ms, format_window

INDENT = "  "


def js(value: Any) -> str:
    """A JSON literal, which is also a JavaScript literal (ASCII-only, so U+2028 stays escaped)."""
    return json.dumps(value, ensure_ascii=True, separators=(", ", ": "), default=str)


def sla_threshold(endpoint: Endpoint) -> tuple[str, str] | None:
    """(metric expression, assertion) for the endpoint's SLA, or None without one."""
    spec = endpoint.spec
    if spec.sla_ms is None or spec.sla_statistic is None:
        return None
    return sub_metric(DURATION, endpoint.group), sla_assertion(spec.sla_statistic, spec.sla_ms)


def error_threshold(endpoint: Endpoint, max_error_rate: float) -> tuple[str, str]:
    return sub_metric(FAILED, endpoint.group), f"rate<={k6_number(max_error_rate)}"


def count_threshold(endpoint: Endpoint) -> tuple[str, str]:
    return sub_metric(REQUESTS, endpoint.group), "count>0"


def render_script(plan: LoadTestPlan, *, policy_path: str) -> str:
    s = plan.settings
    lines = _header(plan, policy_path)
    lines += ["import http from 'k6/http';", "import { check, group, sleep } from 'k6';", ""]
    lines += _base_url(s.base_url_env)
    if s.auth is not None:
        lines += _auth(s.auth.env, s.auth.header, s.auth.scheme)
    lines += _profiles(plan.profiles, s.profile)
    lines += _options(plan)
    lines += ["export default function () {"]
    for endpoint in plan.endpoints:
        lines += _group(endpoint, with_auth=s.auth is not None) + [""]
    if s.think_time > 0:
        lines.append(f"{INDENT}sleep({k6_number(s.think_time / 1000)});  // think time between "
                     "iterations")
    else:
        lines.pop()  # the blank line after the last group
    lines += ["}", ""]
    return "\n".join(lines)


def _header(plan: LoadTestPlan, policy_path: str) -> list[str]:
    env = plan.settings.base_url_env
    return [
        f"// k6 load test for the policy {plan.policy.name} ({policy_path}), written by",
        "// `sentry-alerts loadtest script`. Edit the policy and generate it again: changes made",
        "// here are lost.",
        "//",
        f"// Run: sentry-alerts loadtest run {policy_path} --base-url https://staging.example.com",
        f"// or:  k6 run -e {env}=https://staging.example.com --summary-export summary.json "
        "<this file>",
        f"// -e PROFILE={'|'.join(plan.profiles)} picks the load profile (default: "
        f"{plan.settings.profile}).",
        "// Each endpoint's SLA is a threshold on the requests of its group; k6 exits with code 99",
        "// when one fails.",
        "",
    ]


def _base_url(env: str) -> list[str]:
    return [
        f"const BASE_URL = (__ENV.{env} || '').replace(/\\/+$/, '');",
        "if (!BASE_URL) {",
        f"{INDENT}throw new Error({js(f'{env} is not set: run with -e {env}=https://your-service')});",
        "}",
    ]


def _auth(env: str, header: str, scheme: str) -> list[str]:
    prefix = f"{js(scheme + ' ')} + " if scheme else ""
    return [
        "// The credential is read from the environment when k6 runs; it is never written here.",
        f"const AUTH_TOKEN = __ENV.{env};",
        "if (!AUTH_TOKEN) {",
        f"{INDENT}throw new Error({js(f'{env} is not set: export the credential for the {header} header')});",
        "}",
        f"const AUTH = {{ {js(header)}: {prefix}AUTH_TOKEN }};",
    ]


def _profiles(profiles: dict[str, tuple[Stage, ...]], default: str) -> list[str]:
    lines = ["", "// Load profiles: k6 stages (VUs = virtual users, starting from 1).",
             "const PROFILES = {"]
    for name, stages in profiles.items():
        items = ", ".join(f"{{ duration: {js(k6_duration(st.duration_ms))}, target: {st.target} }}"
                          for st in stages)
        lines.append(f"{INDENT}{js(name)}: [{items}],")
    lines += [
        "};",
        f"const PROFILE = __ENV.PROFILE || {js(default)};",
        "if (!PROFILES[PROFILE]) {",
        f"{INDENT}throw new Error(`unknown PROFILE ${{PROFILE}}; use one of: "
        "${Object.keys(PROFILES).join(', ')}`);",
        "}",
        "",
    ]
    return lines


def _options(plan: LoadTestPlan) -> list[str]:
    stats = trend_stats(plan.statistics())
    lines = [
        "export const options = {",
        f"{INDENT}stages: PROFILES[PROFILE],",
        f"{INDENT}// every statistic the policy's SLAs and alerts use (p(99) is absent otherwise)",
        f"{INDENT}summaryTrendStats: [{', '.join(js(st) for st in stats)}],",
        f"{INDENT}thresholds: {{",
    ]
    rate = plan.settings.max_error_rate
    for endpoint in plan.endpoints:
        lines.append(f"{INDENT * 2}// {_context(endpoint)}")
        sla = sla_threshold(endpoint)
        if sla:
            lines.append(f"{INDENT * 2}{js(sla[0])}: [{js(sla[1])}],")
        for expression, assertion in (error_threshold(endpoint, rate), count_threshold(endpoint)):
            lines.append(f"{INDENT * 2}{js(expression)}: [{js(assertion)}],")
    lines += [f"{INDENT}}},", "};", ""]
    return lines


def _context(endpoint: Endpoint) -> str:
    spec = endpoint.spec
    sla = (f"SLA {spec.sla_statistic} < {format_ms(spec.sla_ms)}" if spec.sla_ms is not None
           else "no SLA (measured, not judged)")
    alert = (f"the Sentry alert fires at {spec.statistic} > {format_ms(spec.critical_ms)} over "
             f"{format_window(spec.window_minutes)}")
    named = "" if endpoint.group == spec.transaction else f" (transaction {spec.transaction})"
    return f"{endpoint.group}{named}: {sla}; {alert}"


def _group(endpoint: Endpoint, *, with_auth: bool) -> list[str]:
    i1, i2, i3 = INDENT, INDENT * 2, INDENT * 3
    headers = dict(endpoint.headers)
    body = "null"
    lines = [f"{i1}group({js(endpoint.group)}, () => {{"]
    if endpoint.body is not None:
        if not any(h.lower() == "content-type" for h in headers):
            headers["Content-Type"] = "application/json"
        lines.append(f"{i2}const body = JSON.stringify({js(endpoint.body)});")
        body = "body"
    entries = [f"{js(k)}: {js(v)}" for k, v in headers.items()]
    if with_auth:
        entries.insert(0, "...AUTH")
    statuses = endpoint.expected_status
    if statuses:
        callback = f"http.expectedStatuses({', '.join(map(str, statuses))})"
        check_name = "status is " + " or ".join(map(str, statuses))
        check_fn = (f"(r) => r.status === {statuses[0]}" if len(statuses) == 1
                    else f"(r) => [{', '.join(map(str, statuses))}].includes(r.status)")
    else:
        callback = "http.expectedStatuses({ min: 200, max: 299 })"
        check_name = "status is 2xx"
        check_fn = "(r) => r.status >= 200 && r.status <= 299"
    lines += [
        f"{i2}const res = http.request({js(endpoint.method)}, BASE_URL + {js(endpoint.path)}, "
        f"{body}, {{",
        f"{i3}headers: {{ {', '.join(entries)} }}," if entries else f"{i3}headers: {{}},",
        f"{i3}tags: {{ name: {js(endpoint.transaction)} }},",
        f"{i3}responseCallback: {callback},  // other statuses count as failed requests",
        f"{i2}}});",
        f"{i2}check(res, {{ {js(check_name)}: {check_fn} }});",
        f"{i1}}});",
    ]
    return lines
