"""Faults on the wire: 429 storms, 5xx bursts, answers lost after the write, connection resets,
slow Slack lookups, and pacing under SaaS rate limits. No duplicates, no lost change."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from backend_support import fast_connect, spec

from sentry_alerts.errors import SentryAPIError
from sentry_alerts.model import EmailTarget, SlackTarget

# (profile, backend, create route, list route, create path fragment)
BACKENDS = [
    ("saas-2026", "monitors", "detectors.create", "detectors.list", "/backend/detectors/"),
    ("self-hosted-25", "alert-rules", "alert_rules.create", "alert_rules.list", "/alert-rules/"),
]
IDS = [b[1] for b in BACKENDS]


@pytest.fixture(params=BACKENDS, ids=IDS)
def env(request, emulator_factory):
    profile, backend, create_route, list_route, fragment = request.param
    emu = emulator_factory(profile=profile)
    # task_deadline bounds how long a lost legacy create waits for a pending Slack lookup.
    conn = fast_connect(emu, backend=backend, task_deadline=1.0)
    emu.create_path = fragment
    return emu, conn.backend, create_route, list_route


def statuses(emu, method: str, fragment: str) -> list[int]:
    return [status for _, _, status in emu.calls(method, fragment)]


def test_a_429_storm_is_waited_out(env):
    emu, backend, create_route, _ = env
    emu.faults.rate_limit_storm(3, route=create_route)
    live = backend.create(backend.materialize(spec(), "spans"))
    assert live.remote_id
    assert len(backend.list_alerts().alerts) == 1
    assert statuses(emu, "POST", emu.create_path) in ([429, 429, 429, 201],
                                                       [429, 429, 429, 202])


def test_a_5xx_burst_on_a_read_is_retried(env):
    emu, backend, create_route, list_route = env
    backend.create(backend.materialize(spec(), "spans"))
    emu.faults.error_burst(3, route=list_route)
    listing = backend.list_alerts()
    assert listing.complete and len(listing.alerts) == 1


def test_a_5xx_burst_on_a_create_creates_exactly_one(env):
    emu, backend, create_route, _ = env
    emu.faults.error_burst(2, route=create_route)
    backend.create(backend.materialize(spec(), "spans"))
    alerts = backend.list_alerts().alerts
    assert [a.marker.key for a in alerts] == ["checkout"]


@pytest.mark.parametrize("fault", ["drop_after_commit", "reset"])
def test_a_lost_answer_to_a_create_does_not_duplicate(env, fault):
    emu, backend, create_route, _ = env
    getattr(emu.faults, fault)(1, route=create_route)
    desired = backend.materialize(spec(), "spans")
    live = backend.create(desired)
    assert live.remote_id and live.marker == desired.marker
    alerts = backend.list_alerts().alerts
    assert len(alerts) == 1 and alerts[0].remote_id == live.remote_id
    posts = statuses(emu, "POST", emu.create_path)
    # Dropped after the write: found by its marker, not sent again. Reset before the handler:
    # nothing was written, so it is sent once more.
    assert posts[0] == 0
    assert len(posts) == (1 if fault == "drop_after_commit" else 2)


def test_a_create_that_keeps_failing_reports_how_often_and_that_nothing_was_made(env):
    emu, backend, create_route, _ = env
    emu.faults.error_burst(10, route=create_route)
    with pytest.raises(SentryAPIError) as failure:
        backend.create(backend.materialize(spec(), "spans"))
    message = failure.value.message
    assert "tried 5 times" in message and "nothing was created twice" in message
    assert "\n" not in message
    assert backend.list_alerts().alerts == []


def test_lost_answer_while_slack_lookup_is_pending_does_not_duplicate(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25", slack_task_delay=0.3)
    backend = fast_connect(emu).backend
    emu.faults.drop_after_commit(1, route="alert_rules.create")
    desired = backend.materialize(spec(targets=[SlackTarget("#backend")]), "spans")
    assert desired.targets[0].channel_id is None  # a name only: Sentry answers 202
    live = backend.create(desired)
    assert live.targets[0].channel_id == "C0BACKEND1"
    assert len(backend.list_alerts().alerts) == 1
    assert len(emu.calls("POST", "/alert-rules/")) == 1


def test_a_slack_lookup_shows_progress_and_succeeds(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25", slack_task_delay=0.1)
    said: list[str] = []
    backend = fast_connect(emu, progress=said.append).backend
    live = backend.create(backend.materialize(spec(targets=[SlackTarget("#backend")]), "spans"))
    assert live.targets[0].channel_id == "C0BACKEND1"
    assert said and "waiting for Sentry to find Slack channel #backend" in said[0]
    assert emu.calls("GET", "/alert-rule-task/")


def test_a_slack_lookup_past_the_deadline_is_a_clear_error(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25", slack_task_delay=5)
    backend = fast_connect(emu, task_deadline=0.3).backend
    with pytest.raises(SentryAPIError) as failure:
        backend.create(backend.materialize(spec(targets=[SlackTarget("#backend")]), "spans"))
    assert "still looking up Slack channel #backend" in failure.value.message
    assert "channel_id" in failure.value.message


def test_a_rate_limited_slack_lookup_reports_sentrys_reason(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25",
                           slack_task_outcome={"backend": "rate_limited"})
    backend = fast_connect(emu).backend
    with pytest.raises(SentryAPIError) as failure:
        backend.create(backend.materialize(spec(targets=[SlackTarget("#backend")]), "spans"))
    assert "Requests to Slack exceeded the rate limit" in failure.value.message


def test_bulk_creates_stay_under_the_saas_rate_limit(emulator_factory):
    """120 creates at 40 req/s in 25 threads: no request is refused with 429, and the wall time
    is close to the limit's floor (3 s)."""
    emu = emulator_factory(profile="saas-2026")
    backend = fast_connect(emu).backend
    specs = [backend.materialize(spec(f"k{i}"), "spans") for i in range(120)]
    started = time.monotonic()
    with ThreadPoolExecutor(25) as pool:
        results = list(pool.map(backend.create, specs))
    elapsed = time.monotonic() - started
    assert len(results) == 120 and all(r.remote_id for r in results)
    refused = [c for c in emu.calls("POST") if c[2] == 429]
    assert refused == []
    # 120 requests span at least 3 one-second windows (2 boundaries); at most 1.3x the floor.
    assert 1.0 <= elapsed <= 3 * 1.3
    assert len(backend.list_alerts().alerts) == 120


def test_a_create_answered_too_late_is_found_not_sent_twice(env):
    """The client gives up waiting (read timeout) while Sentry is still writing: the backend
    keeps looking for the marker for twice the timeout before it would send it again."""
    emu, backend, create_route, _ = env
    backend = fast_connect(emu, backend=backend.name, timeout=0.3).backend
    emu.faults.latency(0.6, route=create_route, times=1)
    live = backend.create(backend.materialize(spec(targets=[EmailTarget("team", "sre")]),
                                              "spans"))
    time.sleep(0.5)  # let the slow request finish before counting
    alerts = backend.list_alerts().alerts
    assert len(alerts) == 1 and alerts[0].remote_id == live.remote_id
    assert len(emu.calls("POST", emu.create_path)) == 1
