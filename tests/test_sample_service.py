"""The sample service (`sentry-alerts sample-service`): the two example endpoints, their latency,
and the chaos endpoints that make them slow or failing for a while. Real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.loadtest.sample_service import run_sample_service

LATENCY = "/api/v1/dev/chaos/latency"
ERRORS = "/api/v1/dev/chaos/errors"


def call(url: str, method: str = "GET", body: object = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), time.monotonic() - started


@pytest.fixture
def service():
    with run_sample_service(latency_ms=5) as svc:
        yield svc


def test_it_listens_on_loopback_only_and_serves_the_example_endpoints(service) -> None:
    assert service.url.startswith("http://127.0.0.1:")
    status, body, _ = call(service.url + "/api/propostas")
    assert status == 200 and body["propostas"][0]["id"] == 1
    status, body, _ = call(service.url + "/api/simulacao-credito", "POST",
                           {"valor": 10000, "prazo_meses": 24})
    assert status == 200 and body["parcela"] == pytest.approx(522.74) and body["prazo_meses"] == 24


@pytest.mark.parametrize("body", [None, {"valor": -1, "prazo_meses": 24}, {"valor": 10},
                                  [1, 2]])
def test_a_bad_simulation_is_a_400_that_says_why(service, body) -> None:
    status, answer, _ = call(service.url + "/api/simulacao-credito", "POST", body)
    assert status == 400 and answer["error"]


def test_unknown_paths_are_404_listing_the_endpoints(service) -> None:
    status, body, _ = call(service.url + "/api/nope")
    assert status == 404 and "GET /api/propostas" in body["endpoints"]


def test_injected_latency_slows_one_endpoint_until_cleared(service) -> None:
    status, body, _ = call(service.url + LATENCY, "POST",
                           {"ms": 300, "seconds": 60, "endpoint": "GET /api/propostas"})
    assert status == 200 and body["latency"]["ms"] == 300
    assert call(service.url + "/api/propostas")[2] >= 0.3
    assert call(service.url + "/api/simulacao-credito", "POST",
                {"valor": 1, "prazo_meses": 1})[2] < 0.2
    assert call(service.url + LATENCY)[1]["latency"]["endpoint"] == "GET /api/propostas"
    assert call(service.url + LATENCY, "DELETE")[1] == {"latency": None}
    assert call(service.url + "/api/propostas")[2] < 0.2


def test_injected_faults_expire(service) -> None:
    call(service.url + LATENCY, "POST", {"ms": 300, "seconds": 0.3})
    time.sleep(0.4)
    assert call(service.url + LATENCY)[1] == {"latency": None}
    assert call(service.url + "/api/propostas")[2] < 0.2


def test_injected_errors_fail_the_given_share_of_requests(service) -> None:
    status, body, _ = call(service.url + ERRORS, "POST", {"rate": 0.25, "status": 503})
    assert status == 200 and body["errors"]["rate"] == 0.25
    statuses = [call(service.url + "/api/propostas")[0] for _ in range(8)]
    assert statuses == [200, 200, 200, 503] * 2
    call(service.url + ERRORS, "DELETE")
    assert call(service.url + "/api/propostas")[0] == 200


@pytest.mark.parametrize(("path", "body", "words"), [
    (LATENCY, {"seconds": 5}, "say how slow"),
    (LATENCY, {"ms": -5}, "ms must be a number between 0 and 60000"),
    (LATENCY, {"ms": 5, "endpoint": "GET /x"}, "endpoint must be one of"),
    (ERRORS, {"rate": 2}, "rate must be a number between 0 and 1"),
    (ERRORS, {"rate": 0.5, "status": 200}, "status must be a number between 400 and 599"),
    (ERRORS, {"rate": 0.5, "color": "red"}, "unknown field color"),
])
def test_bad_chaos_settings_are_refused(service, path: str, body: dict, words: str) -> None:
    status, answer, _ = call(service.url + path, "POST", body)
    assert status == 400 and words in answer["error"]


def test_with_a_token_it_wants_the_auth_header() -> None:
    with run_sample_service(latency_ms=0, auth_token="t0k") as svc:
        assert call(svc.url + "/api/propostas")[0] == 401
        assert call(svc.url + "/api/propostas", headers={"Authorization": "Bearer t0k"})[0] == 200


def test_a_taken_port_is_one_clear_error(service) -> None:
    port = int(service.url.rsplit(":", 1)[1])
    with pytest.raises(SentryAlertsError, match=f"cannot listen on 127.0.0.1:{port}"), \
            run_sample_service(port=port):
        pass
