"""The Sentry client over real sockets: connecting, backend selection, errors a person reads,
pagination, and the URL/token safety rules."""

from __future__ import annotations

import http.server
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from backend_support import fast_connect, spec

from sentry_alerts.emulator import ADMIN_TOKEN, NO_SCOPES_TOKEN, READ_ONLY_TOKEN
from sentry_alerts.errors import AuthError, SentryAlertsError, SentryAPIError
from sentry_alerts.sentry.client import SentryClient
from sentry_alerts.sentry.connect import connect
from sentry_alerts.sentry.http_errors import flatten_sentry_body
from sentry_alerts.sentry.transport import InsecureURLError

WRONG_TOKEN = "sntryu_this_is_not_a_valid_token_12345"


def assert_one_sentence(message: str, *secrets: str) -> None:
    assert "\n" not in message
    assert message.endswith(".")
    for secret in (ADMIN_TOKEN, WRONG_TOKEN, READ_ONLY_TOKEN, NO_SCOPES_TOKEN, *secrets):
        assert secret not in message


def create_many(backend, count: int) -> None:
    specs = [backend.materialize(spec(f"k{i}", targets=[]), "spans") for i in range(count)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(backend.create, specs))


def test_without_a_token_connect_says_how_to_give_one(emulator):
    with pytest.raises(AuthError) as failure:
        connect(url=emulator.url, token=None, org="acme")
    assert failure.value.message.startswith("no Sentry token: set SENTRY_AUTH_TOKEN or pass --token")
    assert emulator.calls() == []


def test_plain_http_only_to_this_machine():
    with pytest.raises(InsecureURLError, match="--insecure"):
        SentryClient("http://sentry.example.com", ADMIN_TOKEN)
    assert SentryClient("http://sentry.example.com", ADMIN_TOKEN, insecure=True)
    assert SentryClient("http://127.0.0.1:9000/api/0/", ADMIN_TOKEN).base_url == \
        "http://127.0.0.1:9000"
    assert SentryClient("http://localhost:9000", ADMIN_TOKEN)
    with pytest.raises(SentryAlertsError, match="not an http"):
        SentryClient("ftp://sentry.example.com", ADMIN_TOKEN)


def test_the_token_is_never_in_a_repr():
    client = SentryClient("https://sentry.io", ADMIN_TOKEN, org="acme")
    assert ADMIN_TOKEN not in repr(client) and ADMIN_TOKEN not in str(client)
    assert "<hidden>" in repr(client)


def test_auto_picks_monitors_where_served_and_alert_rules_elsewhere(emulator_factory):
    saas = fast_connect(emulator_factory(profile="saas-2026"))
    assert saas.backend.name == "monitors"
    assert saas.backend_reason == "monitors: this server serves /detectors/ (auto)"
    old = fast_connect(emulator_factory(profile="self-hosted-25"))
    assert old.backend.name == "alert-rules"
    assert "does not serve /detectors/ (404)" in old.backend_reason


def test_asking_for_a_backend_the_server_lacks_is_a_clear_error(emulator_factory):
    with pytest.raises(SentryAPIError) as failure:
        fast_connect(emulator_factory(profile="saas-2026"), backend="alert-rules")
    assert "410" in failure.value.message and "--backend monitors" in failure.value.message
    assert_one_sentence(failure.value.message)
    with pytest.raises(SentryAPIError) as failure:
        fast_connect(emulator_factory(profile="self-hosted-25"), backend="monitors")
    assert "--backend alert-rules" in failure.value.message


@pytest.mark.parametrize("token, org, status, words", [
    (WRONG_TOKEN, "acme", 401, ["Invalid token", "invalid or expired"]),
    (NO_SCOPES_TOKEN, "acme", 403, ["You do not have permission", "org:read"]),
    (ADMIN_TOKEN, "nope", 404, ["organization 'nope'", "The requested resource does not exist"]),
])
def test_connect_failures_are_one_sentence(emulator, token, org, status, words):
    with pytest.raises(SentryAPIError) as failure:
        fast_connect(emulator, token=token, org=org)
    error = failure.value
    assert error.status == status
    assert isinstance(error, AuthError) == (status in (401, 403))
    assert f"GET /api/0/organizations/{org}/" in error.message
    for word in words:
        assert word in error.message
    assert_one_sentence(error.message, token)


def test_a_write_without_alerts_write_names_the_scope(emulator):
    conn = fast_connect(emulator, token=READ_ONLY_TOKEN)
    backend = conn.backend
    desired = backend.materialize(spec(targets=[]), "spans")
    with pytest.raises(AuthError) as failure:
        backend.create(desired)
    assert failure.value.status == 403 and "alerts:write" in failure.value.message
    assert_one_sentence(failure.value.message)


def test_a_validation_error_quotes_sentry_verbatim(emulator):
    backend = fast_connect(emulator).backend
    desired = backend.materialize(spec(environment="no-such-env"), "spans")
    with pytest.raises(SentryAPIError) as failure:
        backend.create(desired)
    message = failure.value.message
    assert failure.value.status == 400
    assert "Environment is not part of this organization" in message
    assert "POST /api/0/organizations/acme/projects/backend/detectors/" in message
    assert_one_sentence(message)


def test_an_unreachable_host_is_one_sentence():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SentryAPIError) as failure:
        connect(url=f"http://127.0.0.1:{port}", token=ADMIN_TOKEN, org="acme", retry_budget=0.3)
    assert "could not be reached" in failure.value.message
    assert "refused" in failure.value.message
    assert_one_sentence(failure.value.message)


def test_a_body_that_is_not_json_is_reported():
    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - stdlib name
            body = b"<html>login</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(SentryAPIError) as failure:
            connect(url=f"http://127.0.0.1:{server.server_address[1]}", token=ADMIN_TOKEN,
                    org="acme")
    finally:
        server.shutdown()
        server.server_close()
    assert "not JSON" in failure.value.message
    assert_one_sentence(failure.value.message)


def test_sentry_bodies_are_flattened_readably():
    assert flatten_sentry_body({"detail": "Invalid token"}) == "Invalid token"
    assert flatten_sentry_body({"message": "This API no longer exists."}) == \
        "This API no longer exists."
    assert flatten_sentry_body(["One or more of your actions is missing a target identifier."]) \
        == "One or more of your actions is missing a target identifier."
    assert flatten_sentry_body({"nonFieldErrors": ["Trigger 1 must be labeled \"critical\""]}) \
        == "Trigger 1 must be labeled \"critical\""
    assert flatten_sentry_body({"dataSources": {"0": {"timeWindow": ["A valid integer is "
                                                                     "required."]}}}) == \
        "dataSources.0.timeWindow: A valid integer is required."
    assert flatten_sentry_body({"detail": {"code": "x", "message": "Proxied request timed out"}}) \
        == "Proxied request timed out"


def test_listings_follow_the_link_header(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7")
    conn = fast_connect(emu)
    backend = conn.backend
    create_many(backend, 105)
    emu.request_log.clear()
    listing = backend.list_alerts()
    assert listing.complete and len(listing.alerts) == 105
    assert len({a.marker.key for a in listing.alerts}) == 105
    assert len(emu.calls("GET", "/detectors/")) == 2  # per_page=100: two pages


def test_a_failing_later_page_makes_the_listing_incomplete(emulator_factory):
    emu = emulator_factory(profile="self-hosted-26.7")
    conn = fast_connect(emu)
    backend = conn.backend
    create_many(backend, 101)
    conn.client.retry_budget = 0.5  # page 2 keeps failing: give up soon
    emu.faults.failing_page(2, route="detectors.list", times=None)
    listing = backend.list_alerts()
    assert not listing.complete
    assert len(listing.alerts) == 100
    assert "stopped after 100" in listing.problems[0] and "500" in listing.problems[0]


def test_a_failing_first_page_is_raised(emulator_factory):
    emu = emulator_factory(profile="self-hosted-25")
    conn = fast_connect(emu)
    conn.client.retry_budget = 0.5
    emu.faults.failing_page(1, route="alert_rules.list", times=None)
    with pytest.raises(SentryAPIError) as failure:
        conn.backend.list_alerts()
    assert failure.value.status == 500
    assert_one_sentence(failure.value.message)


@pytest.mark.parametrize("dataset", ["metrics", "transactions"])
def test_a_refused_dataset_quotes_sentry_and_suggests_spans(emulator_factory, dataset):
    emu = emulator_factory(profile="self-hosted-26.7")
    backend = fast_connect(emu).backend
    assert backend.choose_dataset(dataset).dataset == dataset  # a concrete choice is honoured
    with pytest.raises(SentryAPIError) as failure:
        backend.create(backend.materialize(spec(dataset=dataset), dataset))
    message = failure.value.message
    assert "transaction-based alerts is disabled" in message or "generic_metrics" in message
    assert "set `dataset: spans`" in message
    assert_one_sentence(message)
