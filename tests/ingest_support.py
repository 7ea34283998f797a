"""A stand-in for Sentry's ingest (no tests here): an HTTP server on 127.0.0.1 that accepts
what sentry-sdk sends to a DSN's envelope endpoint and keeps it, parsed, for assertions.

Envelope format (Sentry's developer docs, "Envelopes"): a JSON header line, then items, each a
JSON item header line and a payload, whose length is the header's `length` or runs to the end
of the line. Bodies may be gzip-compressed (`Content-Encoding: gzip`, sentry-sdk's default).
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Envelope:
    path: str
    raw: bytes  # the decompressed body, exactly as received
    header: dict[str, Any]
    items: list[tuple[dict[str, Any], Any]] = field(default_factory=list)  # (header, payload)


def parse_envelope(path: str, raw: bytes) -> Envelope:
    header_line, _, rest = raw.partition(b"\n")
    envelope = Envelope(path, raw, json.loads(header_line))
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        item = json.loads(item_line)
        if "length" in item:
            payload, rest = rest[:item["length"]], rest[item["length"]:]
            rest = rest[1:] if rest.startswith(b"\n") else rest
        else:
            payload, _, rest = rest.partition(b"\n")
        try:
            envelope.items.append((item, json.loads(payload)))
        except ValueError:
            envelope.items.append((item, payload))
    return envelope


class Ingest:
    """`with Ingest() as ingest:` ... `ingest.dsn`, `ingest.envelopes`, `ingest.items(type)`."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with owner._lock:
                    owner.requests += 1
                    owner.envelopes.append(parse_envelope(self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self) -> None:  # noqa: N802
                with owner._lock:
                    owner.requests += 1
                self.send_response(404)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://0123456789abcdef0123456789abcdef@127.0.0.1:{self._server.server_port}/42"

    def items(self, kind: str | None = None) -> list[Any]:
        """Payloads of every item received (of this type), in arrival order."""
        with self._lock:
            return [payload for e in self.envelopes for header, payload in e.items
                    if kind is None or header.get("type") == kind]

    def raw(self) -> bytes:
        with self._lock:
            return b"\n".join(e.raw for e in self.envelopes)

    def __enter__(self) -> Ingest:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
