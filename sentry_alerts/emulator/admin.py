"""The emulator's admin API: no auth, under a path Sentry does not use (`/__emulator__/`).

Profile, URL and tokens; faults (list, add, clear); the request log; the whole state; an
out-of-band edit or delete; Sentry's migration of legacy rules. Calls and answers:
docs/emulator.md, "Admin API".
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sentry_alerts.emulator.core import ApiError, Response

if TYPE_CHECKING:
    from sentry_alerts.emulator.server import Emulator

ADMIN_PREFIX = "/__emulator__/"


def handle_admin(emu: Emulator, method: str, raw_path: str, raw_body: bytes) -> Response:
    parts = urlsplit(raw_path)
    name = parts.path[len(ADMIN_PREFIX):].strip("/")
    try:
        body = json.loads(raw_body) if raw_body.strip() else {}
    except ValueError as exc:
        return Response(400, {"detail": f"JSON parse error - {exc}"})
    try:
        return _admin(emu, method, name, body)
    except (KeyError, ValueError, TypeError) as exc:
        return Response(400, {"detail": str(exc).strip("'\"")})
    except ApiError as exc:
        return Response(exc.status, exc.body)

def _admin(emu: Emulator, method: str, name: str, body: Any) -> Response:
    if name == "" and method == "GET":
        return Response(200, {"profile": emu.profile.name, "url": emu.url,
                              "organizations": sorted(emu.state.orgs),
                              "tokens": [{"name": t.name, "token": t.token,
                                          "scopes": sorted(t.scopes)}
                                         for t in emu.state.tokens.values()]})
    if name == "faults":
        if method == "GET":
            return Response(200, [f.to_json() for f in emu.faults.list()])
        if method == "POST":
            fields = dict(body)
            kind = fields.pop("kind")
            return Response(201, emu.faults.add(kind, **fields).to_json())
        if method == "DELETE":
            emu.faults.clear()
            return Response(204)
    if name == "log":
        if method == "GET":
            return Response(200, [{"method": m, "path": p, "status": s}
                                  for m, p, s in list(emu.request_log)])
        if method == "DELETE":
            emu.request_log.clear()
            return Response(204)
    if name == "migrate" and method == "POST":
        return Response(200, emu.migrate_legacy_rules(body.get("org"), body.get("ids")))
    if name == "state" and method == "GET":
        with emu.lock:
            return Response(200, emu.state.to_json())
    if name == "edit" and method == "POST":
        kind, obj_id, org = body["kind"], body["id"], body.get("org")
        if body.get("delete"):
            emu.delete(kind, obj_id, org)
            return Response(204)
        return Response(200, emu.edit(kind, obj_id, body.get("changes") or {}, org))
    return Response(404, {"detail": f"unknown admin call {method} {ADMIN_PREFIX}{name}"})
