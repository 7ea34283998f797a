"""A policy's load test: which requests to send, with which settings (`load_load_test`).

The alerts come from the policy as always (`policy.load_policy`'s checks and defaults); this
module reads the same bytes once more for the `load_test` sections the AlertSpecs do not carry,
so the two can never describe different files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.loadtest.metrics import group_name_problem
from sentry_alerts.loadtest.profiles import Stage, all_profiles
from sentry_alerts.model import AlertSpec
from sentry_alerts.policy.load_test_models import (
    PATH_PARAM_RE,
    LoadTestRequest,
    LoadTestSettings,
    request_problem,
    split_transaction_name,
)
from sentry_alerts.policy.loader import Policy, load_policy
from sentry_alerts.policy.yamltree import read_yaml


@dataclass(frozen=True)
class Endpoint:
    """One transaction's request in the load test."""

    spec: AlertSpec  # the transaction's alert (and SLA), defaults applied
    group: str  # the k6 group: the transaction name, or its key where k6 cannot express it
    method: str
    path: str  # path parameters filled in, query string added
    body: Any = None  # JSON, or None
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: tuple[int, ...] | None = None  # None: any 2xx

    @property
    def transaction(self) -> str:
        return self.spec.transaction


@dataclass(frozen=True)
class LoadTestPlan:
    policy: Policy
    settings: LoadTestSettings
    endpoints: tuple[Endpoint, ...]  # in policy order
    skipped: tuple[AlertSpec, ...]  # `load_test: {skip: true}`
    profiles: dict[str, tuple[Stage, ...]]

    def endpoint_for(self, spec: AlertSpec) -> Endpoint | None:
        return next((e for e in self.endpoints if e.spec.key == spec.key), None)

    def statistics(self) -> list[str]:
        """Every statistic an SLA or alert of a load-tested endpoint uses."""
        found: list[str] = []
        for e in self.endpoints:
            found += [s for s in (e.spec.sla_statistic, e.spec.statistic) if s]
        return found


def load_load_test(path: str | Path) -> LoadTestPlan:
    """The policy's load test, or a PolicyError / SentryAlertsError saying what to fix."""
    policy = load_policy(path)  # every error of the policy, as `validate` reports them
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SentryAlertsError(f"cannot read the policy {path} again: {exc.strerror or exc}; "
                                "run the command again.") from None
    if "sha256:" + hashlib.sha256(raw).hexdigest() != policy.content_hash:
        raise SentryAlertsError(f"the policy {path} changed while it was being read; run the "
                                "command again.")
    doc, _ = read_yaml(raw, str(path), max_bytes=len(raw))  # load_policy checked its size
    assert doc is not None  # load_policy read the same bytes without errors
    data = doc.data
    settings = LoadTestSettings.model_validate(data.get("load_test") or {}, strict=True)
    items = data.get("transactions") or []
    assert len(items) == len(policy.specs)  # no errors: one spec per transaction, in order

    endpoints: list[Endpoint] = []
    skipped: list[AlertSpec] = []
    problems: list[str] = []
    for i, (spec, item) in enumerate(zip(policy.specs, items, strict=True)):
        request = LoadTestRequest.model_validate(item.get("load_test") or {}, strict=True)
        if request.skip:
            skipped.append(spec)
            continue
        line = doc.where(("transactions", i))[0]
        why = request_problem(spec.transaction, request)
        if why:
            problems.append(f"{path}:{line}: {why}")
            continue
        endpoints.append(_endpoint(spec, request, settings))
    if problems:
        raise SentryAlertsError(
            f"the policy {path} does not say how to load-test "
            f"{'these transactions' if len(problems) > 1 else 'this transaction'}:\n"
            + "\n".join(problems))
    if not endpoints:
        raise SentryAlertsError(
            f"the policy {path} has no transaction to load-test (every one has `skip: true`, or "
            "it lists none); add a transaction or remove `skip: true`.")
    return LoadTestPlan(policy, settings, _distinct_groups(endpoints), tuple(skipped),
                        all_profiles(settings))


def _distinct_groups(endpoints: list[Endpoint]) -> tuple[Endpoint, ...]:
    """Two transactions of the same name (say, one per environment) would share a k6 group and
    its thresholds; they are told apart by their keys, which are unique."""
    names = [e.group for e in endpoints]
    return tuple(replace(e, group=e.spec.key) if names.count(e.group) > 1 else e
                 for e in endpoints)


def _endpoint(spec: AlertSpec, request: LoadTestRequest, settings: LoadTestSettings) -> Endpoint:
    named_method, named_path = split_transaction_name(spec.transaction)
    path = request.path or named_path
    assert path is not None  # request_problem said so
    for name, value in (request.params or {}).items():
        path = _fill(path, name, _text(value))
    if request.query:
        query = urlencode({k: _text(v) for k, v in request.query.items()})
        path += ("&" if "?" in path else "?") + query
    method = request.method or named_method or ("POST" if request.body is not None else "GET")
    headers = {**(settings.headers or {}), **(request.headers or {})}
    statuses = request.expected_status or settings.expected_status
    group = spec.transaction if group_name_problem(spec.transaction) is None else spec.key
    return Endpoint(spec=spec, group=group, method=method, path=path, body=request.body,
                    headers=headers, expected_status=tuple(statuses) if statuses else None)


def _fill(path: str, name: str, value: str) -> str:
    def replace(match: Any) -> str:
        found = next(g for g in match.groups() if g)
        return quote(value, safe="") if found == name else match.group(0)

    return PATH_PARAM_RE.sub(replace, path)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
