"""`sentry-alerts sample-service`: a small service to load-test, with faults on demand.

It serves the example policy's two endpoints, `GET /api/propostas` and
`POST /api/simulacao-credito`, after a configurable latency, and lets a test or a demo make them
slow or failing for a while:

    POST   /api/v1/dev/chaos/latency  {"ms": 1200, "seconds": 60, "endpoint": "GET /api/propostas"}
    POST   /api/v1/dev/chaos/errors   {"rate": 0.5, "status": 503, "seconds": 60}
    GET    (either)                   the current setting
    DELETE (either)                   clear it

`endpoint` is optional (default: both endpoints); `seconds` defaults to 300. With
`auth_token` (Python API), the two endpoints answer 401 without `Authorization: Bearer TOKEN`,
to try a policy's `load_test.auth`. It is a threaded standard-library HTTP server that listens
on 127.0.0.1 only: a target for trying the tool, not a service to expose.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sentry_alerts.errors import SentryAlertsError

HOST = "127.0.0.1"
ENDPOINTS = ("GET /api/propostas", "POST /api/simulacao-credito")
CHAOS_LATENCY = "/api/v1/dev/chaos/latency"
CHAOS_ERRORS = "/api/v1/dev/chaos/errors"
MAX_BODY = 64 * 1024
MAX_LATENCY_MS = 60_000
MAX_CHAOS_SECONDS = 24 * 3600
DEFAULT_CHAOS_SECONDS = 300

PROPOSTAS = [
    {"id": 1, "cliente": "Ana Souza", "valor": 15000, "prazo_meses": 24, "status": "aprovada"},
    {"id": 2, "cliente": "Bruno Lima", "valor": 8000, "prazo_meses": 12, "status": "em análise"},
    {"id": 3, "cliente": "Carla Dias", "valor": 30000, "prazo_meses": 48, "status": "recusada"},
]
MONTHLY_RATE = 0.019


class BadRequest(ValueError):
    """A request the service refuses with 400; the message says why."""


@dataclass
class Fault:
    """Extra latency or errors on one endpoint (or all) until `until` (time.monotonic)."""

    endpoint: str | None
    until: float
    ms: float = 0.0
    rate: float = 0.0
    status: int = 500

    def applies(self, endpoint: str, now: float) -> bool:
        return now < self.until and self.endpoint in (None, endpoint)

    def describe(self, now: float) -> dict[str, Any]:
        return {"endpoint": self.endpoint or "all", "ms": self.ms, "rate": self.rate,
                "status": self.status, "seconds_left": round(max(0.0, self.until - now), 1)}


class SampleService:
    """The service's state: base latency and the active faults. Thread-safe."""

    def __init__(self, latency_ms: float = 20.0, log: Callable[[str], None] | None = None,
                 auth_token: str | None = None) -> None:
        if not 0 <= latency_ms <= MAX_LATENCY_MS:
            raise SentryAlertsError(f"--latency-ms must be between 0 and {MAX_LATENCY_MS}, not "
                                    f"{latency_ms:g}.")
        self.latency_ms = latency_ms
        self.auth_token = auth_token
        self.log = log or (lambda _message: None)
        self.lock = threading.Lock()
        self.faults: dict[str, Fault] = {}  # "latency" / "errors"
        self.served: dict[str, int] = {e: 0 for e in ENDPOINTS}
        self.url = ""

    # --- chaos ---

    def set_fault(self, kind: str, settings: dict[str, Any]) -> Fault:
        fault = _parse_fault(kind, settings)
        with self.lock:
            self.faults[kind] = fault
        self.log(f"chaos: {kind} {json.dumps(fault.describe(time.monotonic()))}")
        return fault

    def clear_fault(self, kind: str) -> None:
        with self.lock:
            self.faults.pop(kind, None)
        self.log(f"chaos: {kind} cleared")

    def fault(self, kind: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get(kind)
            if fault and time.monotonic() >= fault.until:
                del self.faults[kind]
                return None
            return fault

    # --- serving ---

    def delay_and_status(self, endpoint: str) -> tuple[float, int | None]:
        """Seconds to wait before answering, and the injected error status (or None)."""
        now = time.monotonic()
        ms = self.latency_ms
        latency, errors = self.fault("latency"), self.fault("errors")
        if latency and latency.applies(endpoint, now):
            ms += latency.ms
        with self.lock:
            self.served[endpoint] += 1
            n = self.served[endpoint]
        status = None
        # Every request whose running share crosses the next whole failure fails: rate 0.25
        # fails requests 4, 8, 12, ... (spread evenly, and the same in every run).
        if errors and errors.applies(endpoint, now) and \
                math.floor(n * errors.rate) > math.floor((n - 1) * errors.rate):
            status = errors.status
        return ms / 1000, status


def _parse_fault(kind: str, settings: dict[str, Any]) -> Fault:
    allowed = {"latency": {"ms", "seconds", "endpoint"},
               "errors": {"rate", "status", "seconds", "endpoint"}}[kind]
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise BadRequest(f"unknown field {', '.join(unknown)}; {kind} takes "
                         f"{', '.join(sorted(allowed))}")
    endpoint = settings.get("endpoint")
    if endpoint is not None and endpoint not in ENDPOINTS:
        raise BadRequest(f"endpoint must be one of {', '.join(ENDPOINTS)} (or left out for all)")
    seconds = _number(settings, "seconds", DEFAULT_CHAOS_SECONDS, 0, MAX_CHAOS_SECONDS)
    until = time.monotonic() + seconds
    if kind == "latency":
        if "ms" not in settings:
            raise BadRequest('say how slow: {"ms": 1200, "seconds": 60}')
        return Fault(endpoint, until, ms=_number(settings, "ms", 0, 0, MAX_LATENCY_MS))
    if "rate" not in settings:
        raise BadRequest('say how many requests fail: {"rate": 0.5, "status": 503}')
    status = _number(settings, "status", 500, 400, 599)
    if status != int(status):
        raise BadRequest("status must be a whole number between 400 and 599")
    return Fault(endpoint, until, rate=_number(settings, "rate", 0, 0, 1), status=int(status))


def _number(settings: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadRequest(f"{key} must be a number between {low:g} and {high:g}")
    return float(value)


def simulate_credit(body: Any) -> dict[str, Any]:
    """The monthly payment of a loan (Price table), from {"valor": ..., "prazo_meses": ...}."""
    if not isinstance(body, dict):
        raise BadRequest('send a JSON object, e.g. {"valor": 10000, "prazo_meses": 24}')
    valor, prazo = body.get("valor"), body.get("prazo_meses")
    if isinstance(valor, bool) or not isinstance(valor, int | float) or not 0 < valor <= 1e9:
        raise BadRequest("valor must be a positive number, e.g. 10000")
    if isinstance(prazo, bool) or not isinstance(prazo, int) or not 1 <= prazo <= 480:
        raise BadRequest("prazo_meses must be a whole number of months between 1 and 480")
    parcela = valor * MONTHLY_RATE / (1 - (1 + MONTHLY_RATE) ** -prazo)
    return {"valor": valor, "prazo_meses": prazo, "taxa_mensal": MONTHLY_RATE,
            "parcela": round(parcela, 2), "total": round(parcela * prazo, 2)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: k6 reuses its connections
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK (~40 ms), which would be measured as the service's latency.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # one line per request would drown the output of a load test

    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    def do_PUT(self) -> None:
        self.route("PUT")

    def do_DELETE(self) -> None:
        self.route("DELETE")

    def route(self, method: str) -> None:
        service = self.server.service
        path = self.path.split("?", 1)[0]
        try:
            body = self.read_json()
            if path in (CHAOS_LATENCY, CHAOS_ERRORS):
                self.chaos("latency" if path == CHAOS_LATENCY else "errors", method, body)
                return
            endpoint = f"{method} {path}"
            if path == "/health" and method == "GET":
                self.answer(200, {"status": "ok"})
                return
            if endpoint not in ENDPOINTS:
                known = [*ENDPOINTS, "GET /health", f"GET|POST|DELETE {CHAOS_LATENCY}",
                         f"GET|POST|DELETE {CHAOS_ERRORS}"]
                self.answer(404, {"error": f"no such endpoint: {endpoint}", "endpoints": known})
                return
            if service.auth_token and \
                    self.headers.get("Authorization") != f"Bearer {service.auth_token}":
                self.answer(401, {"error": "send Authorization: Bearer <token>"})
                return
            delay, status = service.delay_and_status(endpoint)
            time.sleep(delay)
            if status is not None:
                self.answer(status, {"error": "injected by /api/v1/dev/chaos/errors"})
            elif endpoint == ENDPOINTS[0]:
                self.answer(200, {"propostas": PROPOSTAS})
            else:
                self.answer(200, simulate_credit(body))
        except BadRequest as exc:
            self.answer(400, {"error": str(exc)})

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequest(f"the body is larger than {MAX_BODY} bytes")
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the body is not JSON") from None

    def chaos(self, kind: str, method: str, body: Any) -> None:
        service = self.server.service
        if method in ("POST", "PUT"):
            service.set_fault(kind, body if isinstance(body, dict) else {})
        elif method == "DELETE":
            service.clear_fault(kind)
        fault = service.fault(kind)
        self.answer(200, {kind: fault.describe(time.monotonic()) if fault else None})

    def answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 resets connections when 50 VUs start at once

    def __init__(self, port: int, service: SampleService) -> None:
        super().__init__((HOST, port), _Handler)
        self.service = service


@contextmanager
def run_sample_service(*, port: int = 0, latency_ms: float = 20.0,
                       log: Callable[[str], None] | None = None,
                       auth_token: str | None = None) -> Iterator[SampleService]:
    """Serve on 127.0.0.1:`port` (0: a free port) in a background thread until the block ends."""
    service = SampleService(latency_ms, log, auth_token)
    try:
        server = _Server(port, service)
    except OSError as exc:
        raise SentryAlertsError(f"the sample service cannot listen on {HOST}:{port} "
                                f"({exc.strerror or exc}); pick another --port, or 0 for a free "
                                "one.") from None
    service.url = f"http://{HOST}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="sample-service", daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve(*, port: int, latency_ms: float) -> int:
    """Run until Ctrl-C, saying where and how to inject faults."""
    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with run_sample_service(port=port, latency_ms=latency_ms, log=log) as service:
        print(f"Sample service on {service.url} ({latency_ms:g} ms per request)\n"
              f"  {' · '.join(ENDPOINTS)}\n"
              f"  slow:   curl -X POST {service.url}{CHAOS_LATENCY} -d "
              "'{\"ms\": 1200, \"seconds\": 60}'\n"
              f"  errors: curl -X POST {service.url}{CHAOS_ERRORS} -d "
              "'{\"rate\": 0.5, \"status\": 503}'\n"
              f"  clear:  curl -X DELETE {service.url}{CHAOS_LATENCY}\n"
              "Ctrl-C stops it.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("Stopped.", flush=True)
    return 0
