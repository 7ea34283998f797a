"""A scripted HTTP server for what the emulator will not do on purpose: answer with a hostile
body, redirect elsewhere, or just record who sent which headers (a host the token must never
reach). `route(method, path_with_query, headers) -> (status, headers, body bytes)`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[str, str, dict[str, str]], tuple[int, dict[str, str], bytes]]


def json_answer(body: object, status: int = 200, **headers: str) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()


@dataclass
class Stub:
    url: str
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def authorizations(self) -> list[str]:
        return [h.get("Authorization", "") for _, _, h in self.requests
                if h.get("Authorization")]


@contextmanager
def stub_server(route: Route | None = None, *, certfile: str | None = None,
                keyfile: str | None = None) -> Iterator[Stub]:
    """Serve `route` on a free loopback port (default: 404 to everything, recording it); over
    https with `certfile`/`keyfile`."""
    stub = Stub("")

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items()}
            stub.requests.append((self.command, self.path, headers))
            status, extra, body = (route or (lambda m, p, h: json_answer(
                {"detail": "not here"}, 404)))(self.command, self.path, headers)
            self.log_request(status)
            self.send_response_only(status)  # its own Date only if the route sends none
            if "Date" not in extra:
                self.send_header("Date", self.date_time_string())
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scheme = "http"
    if certfile:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    stub.url = f"{scheme}://{'localhost' if certfile else '127.0.0.1'}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
