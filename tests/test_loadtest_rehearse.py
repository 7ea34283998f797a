"""`sentry-alerts loadtest rehearse POLICY RAW.json`: each alert's rule replayed over k6's
per-request timings, on synthetic timings whose firing and resolving times are known.

The raw files are written the way k6's `--out json=` writes them (a `Metric` line, then one
`Point` per sample, other metrics in between, RFC 3339 times with nanoseconds). One request per
second, at T0 + k + 0.5 s; T0 is a whole minute, so Sentry's evaluations (every minute for a 5m
window) fall at T0 + 60·m and the window of evaluation m holds the requests k = 60·m-300 …
60·m-1: 300 of them. With linear interpolation, p95 of 300 values is
sorted[284] + 0.05·(sorted[285] - sorted[284]), so the slow value shows once 16 are slow.
"""

from __future__ import annotations

import gzip
import json
import statistics
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.loadtest.rehearse import resolution_minutes, statistic_value

runner = CliRunner()
T0 = 1_800_000_000  # 2027-01-15T08:00:00Z, a whole minute
GROUP = "GET /api/propostas"


def policy(tmp_path, alert: str, window: str = "5m") -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(f"""\
version: 1
name: shop
defaults:
  project: backend
  window: {window}
  notify:
    - slack: "#ops-alerts"
transactions:
  - transaction: {GROUP}
    sla: {{p95: 500ms}}
    alert: {alert}
""")
    return str(path)


def k6_time(at: float) -> str:
    whole = datetime.fromtimestamp(int(at), UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{round((at % 1) * 1e9):09d}Z"


def raw_lines(samples: list[tuple[float, float]], *, group: str | None = GROUP) -> list[str]:
    lines = [json.dumps({"type": "Metric", "metric": "http_req_duration",
                         "data": {"name": "http_req_duration", "type": "trend"}})]
    for at, ms in samples:
        tags = {"name": GROUP, "method": "GET", "status": "200"}
        if group is not None:
            tags["group"] = f"::{group}"
        lines.append(json.dumps({"metric": "http_reqs", "type": "Point",
                                 "data": {"time": k6_time(at), "value": 1, "tags": tags}}))
        lines.append(json.dumps({"metric": "http_req_duration", "type": "Point",
                                 "data": {"time": k6_time(at), "value": ms, "tags": tags}}))
    return lines


def write_raw(tmp_path, samples, name: str = "raw.json", **kwargs) -> str:
    path = tmp_path / name
    text = "\n".join(raw_lines(samples, **kwargs)) + "\n"
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return str(path)


def timeline(blocks: list[tuple[int, int, float]], seconds: int = 1800) -> list[tuple[float, float]]:
    """One request per second for `seconds`; (first k, last k + 1, ms) blocks, else 100 ms."""
    def ms(k: int) -> float:
        return next((value for lo, hi, value in blocks if lo <= k < hi), 100.0)

    return [(T0 + k + 0.5, ms(k)) for k in range(seconds)]


def rehearse(policy_path: str, raw: str, fmt: str = "json"):
    result = runner.invoke(app, ["loadtest", "rehearse", policy_path, raw, "--format", fmt])
    assert "Traceback" not in result.output
    return result


def events(result) -> list[tuple[int, str, str, float]]:
    assert result.exit_code == 0, result.output
    alert = json.loads(result.stdout)["alerts"][0]
    return [(round(e["offset_s"] + 0.5), e["from"], e["to"], e["value_ms"])
            for e in alert["events"]]


@pytest.mark.parametrize(("first_slow", "fires_at", "value"), [
    (644, 660, 1000.0),  # 16 slow in the window of 11:00: p95 is a slow one
    (645, 720, 1000.0),  # 15 slow at 11:00: p95 = 100 + 0.05 · 900 = 145 ms; 70 slow at 12:00
])
def test_fires_when_5_percent_are_slow_and_resolves_when_they_leave(tmp_path, first_slow,
                                                                  fires_at, value) -> None:
    raw = write_raw(tmp_path, timeline([(first_slow, 900, 1000.0)]))
    result = rehearse(policy(tmp_path, "{critical: 750ms}"), raw)
    # The last slow request (k = 899) leaves the window at 20:00.
    assert events(result) == [(fires_at, "ok", "critical", value), (1200, "critical", "ok", 100.0)]


def test_warning_escalation_and_an_explicit_resolve_threshold(tmp_path) -> None:
    """700 ms from 5:00, 1000 ms from 10:00, 400 ms from 12:00, 100 ms from 17:00. With
    `resolve: 300ms` the 400 ms requests keep the alert critical until they leave the window."""
    raw = write_raw(tmp_path, timeline([(300, 600, 700.0), (600, 720, 1000.0),
                                        (720, 1020, 400.0)]))
    held = rehearse(policy(tmp_path, "{critical: 750ms, warning: 600ms, resolve: 300ms}"), raw)
    assert events(held) == [(360, "ok", "warning", 700.0), (660, "warning", "critical", 1000.0),
                            (1320, "critical", "ok", 100.0)]
    automatic = rehearse(policy(tmp_path, "{critical: 750ms, warning: 600ms}"), raw)
    assert events(automatic) == [(360, "ok", "warning", 700.0),
                                 (660, "warning", "critical", 1000.0),
                                 (1020, "critical", "ok", 400.0)]


def test_back_down_to_warning_then_resolved(tmp_path) -> None:
    raw = write_raw(tmp_path, timeline([(600, 720, 1000.0), (720, 1020, 700.0)]))
    result = rehearse(policy(tmp_path, "{critical: 750ms, warning: 600ms}"), raw)
    assert events(result) == [(660, "ok", "critical", 1000.0), (1020, "critical", "warning", 700.0),
                              (1320, "warning", "ok", 100.0)]


def test_other_statistics_and_a_longer_window(tmp_path) -> None:
    """avg over 30m, evaluated every 2 minutes: 1000 ms from 10:00 to 20:00 among 100 ms
    requests. The window starts with the test, so at 16:00 it holds 960 requests, 360 slow:
    avg 437.5 > 400 (at 14:00: 240 of 840, 357 ms). Once full (1800 requests) the average is
    100 + s/2 for s slow ones: exactly 400 at 40:00 (s = 600, not below: still open), 340 at
    42:00 (s = 480): resolved."""
    raw = write_raw(tmp_path, timeline([(600, 1200, 1000.0)], seconds=3600))
    result = rehearse(policy(tmp_path, "{critical: 400ms, metric: avg}", window="30m"), raw)
    alert = json.loads(result.stdout)["alerts"][0]
    assert alert["every_s"] == 120 and alert["window_minutes"] == 30
    assert events(result) == [(960, "ok", "critical", 437.5), (2520, "critical", "ok", 340.0)]


def test_a_short_test_fires_at_the_next_minute_and_stays_open(tmp_path) -> None:
    """Like the demo: 5 seconds of 1200 ms requests from 08:00:10."""
    raw = write_raw(tmp_path, [(T0 + 10 + i, 1200.0) for i in range(5)])
    result = rehearse(policy(tmp_path, "{critical: 750ms}"), raw, fmt="text")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Alert rehearsal for policy shop: 5 requests" in out and "08:00:10 to 08:00:14 UTC" in out
    assert f"{GROUP}: alert when p95 > 750 ms over 5m, resolves below 750 ms; evaluated every 1m" \
        in out
    assert "08:01:00 (+50s)  FIRED critical: p95 = 1,200 ms over 5 requests in the window" in out
    assert "still critical at the end; the last request left the window at 08:06:00 (+5m50s)" \
        in out
    assert f"1 of 1 alert would have fired: {GROUP}." in out


def test_a_quiet_test_never_fires(tmp_path) -> None:
    raw = write_raw(tmp_path, timeline([], seconds=600))
    result = rehearse(policy(tmp_path, "{critical: 750ms}"), raw, fmt="text")
    assert "600 requests, 14 evaluations; highest p95: 100 ms" in result.stdout
    assert "never fired." in result.stdout and "0 of 1 alert would have fired." in result.stdout


def test_gzip_name_tags_and_unreadable_lines(tmp_path) -> None:
    """Requests outside a group are matched by their `name` tag; a line cut off when k6 was
    killed is skipped and reported."""
    samples = timeline([(644, 900, 1000.0)])
    path = tmp_path / "raw.json.gz"
    lines = raw_lines(samples, group=None) + ['{"metric":"http_req_duration","type":"Po']
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    result = rehearse(policy(tmp_path, "{critical: 750ms}"), str(path), fmt="text")
    assert "FIRED critical" in result.stdout
    assert "1 line of" in result.stdout and "could not be read and were skipped" in result.stdout


@pytest.mark.parametrize(("content", "words"), [
    (None, ["no such raw output file"]),
    ('{"metrics": {}}\n', ["holds no http_req_duration points", "--out json=FILE"]),
    ("\n".join(raw_lines([(T0, 100.0)], group="GET /other")) + "\n",
     ["none of the requests", "it measured GET /other", "load-tests GET /api/propostas"]),
])
def test_unusable_raw_files_are_one_clear_error(tmp_path, content, words) -> None:
    path = tmp_path / "raw.json"
    if content is not None:
        path.write_text(content)
    result = rehearse(policy(tmp_path, "{critical: 750ms}"), str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert all(w in result.stderr for w in words), result.stderr


@pytest.mark.parametrize(("window", "every"), [(1, 1), (5, 1), (15, 1), (30, 2), (60, 3),
                                               (120, 3), (240, 5), (1440, 15)])
def test_evaluation_step_follows_sentry(window: int, every: int) -> None:
    assert resolution_minutes(window) == every


@given(st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False), min_size=2,
                max_size=300), st.sampled_from([50, 75, 90, 95, 99]))
def test_percentiles_interpolate_like_k6(values: list[float], pct: int) -> None:
    """k6's trend percentiles interpolate linearly between the closest ranks, which is the
    "inclusive" method of Python's statistics.quantiles."""
    expected = statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
    assert statistic_value(f"p{pct}", values) == pytest.approx(expected, rel=1e-9, abs=1e-9)
