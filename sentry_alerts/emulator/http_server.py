"""The emulator's sockets: a stdlib `ThreadingHTTPServer` whose handler reads each request,
passes it to `Emulator.handle` (or the admin API) and writes the answer, or closes the
connection without one when a fault says so (a TCP reset, or a drop after the change was
stored). Every request is logged in `emu.request_log`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sentry_alerts.emulator.admin import ADMIN_PREFIX, handle_admin
from sentry_alerts.emulator.core import Response

if TYPE_CHECKING:
    from sentry_alerts.emulator.server import Emulator

log = logging.getLogger("sentry_alerts.emulator")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 stalls bursts of parallel clients


class HTTPHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "sentry-emulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        emu: Emulator = self.server.emu  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        method = self.command.upper()
        if self.path.startswith(ADMIN_PREFIX):
            self._send(handle_admin(emu, method, self.path, raw_body))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        response, action = emu.handle(method, self.path, headers, raw_body, self.client_address[0])
        path = unquote(urlsplit(self.path).path)
        if action is not None:
            emu.request_log.append((method, path, 0))  # 0 = no answer was sent
            self._close(reset=action == "reset")
            return
        assert response is not None
        emu.request_log.append((method, path, response.status))
        self._send(response)

    def _close(self, reset: bool) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            if reset:  # SO_LINGER 0: close() sends a TCP RST
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()

    def _send(self, response: Response) -> None:
        body = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        if response.body is not None:
            self.send_header("Content-Type", "application/json")
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout or deadline) after the request was handled, as
            # a real client does; Sentry only logs that, and so does the log above.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve
