"""The emulator: one `Emulator` owns the state, the profile, the router, the faults and the
request log, and answers each request: Request -> faults, rate limits, auth -> handler.

It serves on 127.0.0.1 in a background thread (the sockets: http_server.py). Handlers are
plain functions `handler(emu, req, **path_params) -> Response` registered by each handler
module's `register(router)`. The seed is read by seed.py, the admin API is admin.py, and the
`sentry-alerts emulator` command is command.py.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# By module path, not `from sentry_alerts.emulator import ...`: the package's __init__ imports
# this module, and importing the package back from here would be an import circle.
import sentry_alerts.emulator.alert_rules as alert_rules
import sentry_alerts.emulator.lookups as lookups
import sentry_alerts.emulator.monitors as monitors
from sentry_alerts.emulator.core import JSON, ApiError, Request, Response, Route, Router
from sentry_alerts.emulator.faults import FaultSet
from sentry_alerts.emulator.http_server import HTTPHandler, Server
from sentry_alerts.emulator.migration import migrate_rules
from sentry_alerts.emulator.pagination import page_number, paginate
from sentry_alerts.emulator.profiles import Profile, RateLimit, get_profile
from sentry_alerts.emulator.ratelimit import RateLimiter
from sentry_alerts.emulator.seed import load_seed
from sentry_alerts.emulator.state import EmulatorState, deep_merge

log = logging.getLogger("sentry_alerts.emulator")

GONE_BODY = {"message": "This API no longer exists."}
DEPRECATION_DATE = "2026-05-14T00:00:00+00:00"

# 401 bodies (notes §1.3).
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
INVALID_TOKEN = {"detail": "Invalid token"}
NO_CREDENTIALS_IN_HEADER = {"detail": "Invalid token header. No credentials provided."}
SPACES_IN_TOKEN = {"detail": "Invalid token header. Token string should not contain spaces."}


def internal_error_body() -> dict[str, str]:
    return {"detail": "Internal Error", "errorId": uuid.uuid4().hex}


class Emulator:
    """A running (or ready to run) emulated Sentry. See docs/emulator.md.

    Attributes the handlers use: `state`, `profile`, `lock` (guards all state mutation),
    `paginate(req, items)`, `request_log` [(method, path, status)], `url`, `faults`.
    """

    def __init__(self, *, profile: str | Profile | None = None,
                 seed: str | Path | dict | None = None, state_file: str | Path | None = None,
                 port: int = 0, host: str = "127.0.0.1", slack_task_delay: float | None = 0.5,
                 slack_task_outcome: dict[str, str] | None = None,
                 rate_limits: RateLimit | None | str = "profile",
                 detector_deletion_delay: float | None = 0.5,
                 alert_rule_limit: int = alert_rules.RULE_LIMIT) -> None:
        self.profile: Profile = get_profile(profile)
        if rate_limits != "profile":
            self.profile = self.profile.with_rate_limits(rate_limits)  # type: ignore[arg-type]
        self.state_file = Path(state_file) if state_file else None
        self.lock = threading.RLock()
        self.faults = FaultSet()
        self.request_log: list[tuple[str, str, int]] = []
        # Seconds an async Slack lookup stays pending before it succeeds or fails.
        self.slack_task_delay = slack_task_delay
        # Forced outcomes of async lookups by channel name (without '#'): "rate_limited" makes the
        # task fail with Slack's rate-limit text (there is no other way to trigger it).
        self.slack_task_outcome: dict[str, str] = dict(slack_task_outcome or {})
        # Seconds before a deleted detector's scheduled deletion task removes its workflow
        # links (0: at once; None: never, the task is stuck).
        self.detector_deletion_delay = detector_deletion_delay
        # Legacy metric alert rules an organization may have (Sentry's server setting
        # MAX_QUERY_SUBSCRIPTIONS_PER_ORG, 1000 by default); raise it for bigger tests.
        self.alert_rule_limit = alert_rule_limit
        self.host = host
        self.port = port
        self.router = Router()
        self.route_groups: dict[str, str] = {}  # route name -> "legacy" | "monitors" | "lookups"
        self._register("lookups", lookups.register)
        self._register("legacy", alert_rules.register)
        self._register("monitors", monitors.register)
        self.rate_limiter = RateLimiter(self.profile.rate_limits) if self.profile.rate_limits else None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Timer] = []
        if self.state_file and self.state_file.is_file():
            self.state = EmulatorState.from_json(json.loads(self.state_file.read_text("utf-8")))
        else:
            seed_data = load_seed(seed)
            self.state = EmulatorState.from_json(seed_data)
            # Pre-existing alerts go through the same validation as the API.
            alert_rules.seed_alert_rules(self, seed_data)
            if self.profile.monitors_api:
                monitors.seed_monitors(self, seed_data)

    def _register(self, group: str, register: Any) -> None:
        before = len(self.router.routes)
        register(self.router)
        for route in self.router.routes[before:]:
            self.route_groups[route.name] = group

    # --- lifecycle ---

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        server = Server((self.host, self.port), HTTPHandler)
        server.emu = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="sentry-emulator",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.save_state()

    def serve_forever(self) -> None:
        """Serve in the calling thread until KeyboardInterrupt (the CLI)."""
        self.start()
        try:
            while True:
                time.sleep(0.5)
        finally:
            self.stop()

    def later(self, delay: float, fn: Any) -> None:
        """Run fn() after `delay` seconds in a background thread (async Slack tasks). A delay of
        None or infinity never runs it (a lookup that stays pending)."""
        if delay is None or delay == float("inf"):
            return
        timer = threading.Timer(delay, fn)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    # --- helpers for handlers ---

    def paginate(self, req: Request, items: list[JSON], *,
                 serve: Callable[[JSON], JSON] | None = None) -> Response:
        """One page of `items`; `serve` makes the page's items (only) ready to send."""
        return paginate(self.url, req, items, serve=serve)

    def calls(self, method: str | None = None, path_contains: str | None = None) -> list[tuple[str, str, int]]:
        """Logged requests, optionally filtered (for tests counting calls)."""
        return [entry for entry in list(self.request_log)
                if (method is None or entry[0] == method.upper())
                and (path_contains is None or path_contains in entry[1])]

    def save_state(self) -> None:
        if not self.state_file:
            return
        with self.lock:
            data = self.state.to_json()
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".emulator-state-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    # --- out-of-band edits (what a person does in Sentry's UI) ---

    def edit(self, kind: str, obj_id: int | str, changes: dict[str, Any],
             org: str | None = None) -> dict[str, Any]:
        """Change a stored alert_rule / detector / workflow in place (nested dicts merge, other
        values replace) and bump its dateModified/dateUpdated. Returns a copy of the result."""
        with self.lock:
            store = self._org_or_only(org).store(kind)
            item = store.get(int(obj_id))
            if item is None:
                raise KeyError(f"no {kind} with id {obj_id}")
            deep_merge(item, changes)
            self._org_or_only(org).links.invalidate()  # the edit may change workflow links
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1e6) % 1000000:06d}Z"
            for key in ("dateModified", "dateUpdated"):
                if key in item and key not in changes:
                    item[key] = stamp
            result = json.loads(json.dumps(item))
        self.save_state()
        return result

    def delete(self, kind: str, obj_id: int | str, org: str | None = None) -> None:
        """Delete a stored alert_rule / detector / workflow as a person would in the UI."""
        with self.lock:
            store = self._org_or_only(org).store(kind)
            if store.pop(int(obj_id), None) is None:
                raise KeyError(f"no {kind} with id {obj_id}")
            self._org_or_only(org).links.invalidate()
        self.save_state()

    def migrate_legacy_rules(self, org: str | None = None, ids: list[int] | None = None
                             ) -> dict[str, str]:
        """What Sentry's migration did to legacy metric rules (migration.py): each rule (all
        not yet migrated when `ids` is None) gets a detector carrying its description and a
        workflow named after its actions. Returns {rule id: detector id}."""
        if not self.profile.monitors_api:
            raise ValueError(f"profile {self.profile.name} has no monitors API to migrate to")
        with self.lock:
            organization = self._org_or_only(org)
            done = migrate_rules(self, organization, ids)
            organization.links.invalidate()
        self.save_state()
        return done

    def _org_or_only(self, org: str | None):
        if org is not None:
            return self.state.org(org)
        if len(self.state.orgs) != 1:
            raise KeyError("several organizations: say which with org=")
        return next(iter(self.state.orgs.values()))

    # --- request processing ---

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes,
               client: str) -> tuple[Response | None, str | None]:
        """Answer one API request. Returns (response, action): action "reset" or "drop" tells
        the socket layer to close without answering."""
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        if not path.endswith("/"):
            path += "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        req = Request(method, path, query, headers, None, raw_body)
        route, params, path_exists = self.router.match(method, path)
        group = self.route_groups.get(route.name) if route else None
        if route is not None and self._route_removed(route, group):
            route, path_exists = None, False
        if route is None:
            status_body = (405, {"detail": f'Method "{method}" not allowed.'}) if path_exists \
                else (404, {"detail": "The requested resource does not exist"})
            return Response(*status_body), None
        req.route_name = route.name
        admission = None
        extra: dict[str, str] = {}
        if self.rate_limiter is not None:
            caller = _bearer(headers) or client
            admission = self.rate_limiter.admit(caller, route.name)
            extra.update(admission.headers)
        try:
            response, action = self._dispatch(req, route, params, group, admission)
        finally:
            if admission is not None:
                self.rate_limiter.release(admission)  # type: ignore[union-attr]
        if response is not None:
            for key, value in extra.items():
                response.headers.setdefault(key, value)
            if group == "legacy" and self.profile.deprecation_headers:
                org = params.get("org", "{organization_id_or_slug}")
                response.headers.setdefault("X-Sentry-Deprecation-Date", DEPRECATION_DATE)
                response.headers.setdefault("X-Sentry-Replacement-Endpoint",
                                            f"/api/0/organizations/{org}/detectors/")
        return response, action

    def _route_removed(self, route: Route, group: str | None) -> bool:
        if group == "monitors" and not self.profile.monitors_api:
            return True
        # The task endpoint was removed outright with the legacy routes (PR #121879) -> 404.
        return (group == "legacy" and self.profile.legacy_api == "gone"
                and route.name.startswith("alert_rule_task."))

    def _dispatch(self, req: Request, route: Route, params: dict[str, str], group: str | None,
                  admission: Any) -> tuple[Response | None, str | None]:
        try:
            if admission is not None and admission.error is not None:
                raise admission.error
            # Latency is server time: it holds the caller's concurrency slot.
            fault = self.faults.take(("latency",), route.name, req.method, req.path)
            if fault:
                time.sleep(fault.delay)
            if self.faults.take(("reset",), route.name, req.method, req.path):
                return None, "reset"
            for kind, status, body in (("rate_limit", 429, None), ("brownout", 410, GONE_BODY),
                                       ("error", 500, None)):
                fault = self.faults.take((kind,), route.name, req.method, req.path)
                if fault is None:
                    continue
                if kind == "rate_limit":
                    limit = self.profile.rate_limits.limit if self.profile.rate_limits else 40
                    body = {"detail": "You are attempting to use this endpoint too frequently. "
                                      f"Limit is {limit} requests in 1 seconds"}
                elif kind == "error":
                    status = fault.status
                    body = fault.body if fault.body is not None else internal_error_body()
                raise ApiError(status, body)
            self._authenticate(req, route)
            if group == "legacy" and self.profile.legacy_api == "gone":
                raise ApiError(410, GONE_BODY)
            if req.method == "GET" and self.faults.take(("page_error",), route.name, req.method,
                                                        req.path, page=page_number(req)):
                raise ApiError(500, internal_error_body())
            if req.raw_body.strip():
                try:
                    req.body = json.loads(req.raw_body)
                except ValueError as exc:
                    raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from None
            response = route.handler(self, req, **params)
        except ApiError as exc:
            return Response(exc.status, exc.body, dict(exc.headers)), None
        except Exception:  # a bug in a handler: answer like Sentry, keep serving
            log.exception("emulator handler %s failed", route.name)
            return Response(500, internal_error_body()), None
        if req.method != "GET" and response.status < 400:
            self.save_state()
        if req.method != "GET" and self.faults.take(("drop_after_commit",), route.name,
                                                    req.method, req.path):
            return None, "drop"
        return response, None

    def _authenticate(self, req: Request, route: Route) -> None:
        if not route.scopes:
            return
        header = req.headers.get("authorization", "")
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "bearer":
            raise ApiError(401, NO_CREDENTIALS)
        rest = rest.strip()
        if not rest:
            raise ApiError(401, NO_CREDENTIALS_IN_HEADER)
        if " " in rest:
            raise ApiError(401, SPACES_IN_TOKEN)
        token = self.state.tokens.get(rest)
        if token is None:
            raise ApiError(401, INVALID_TOKEN)
        req.token, req.scopes, req.user_id = token.token, token.scopes, token.user_id
        if not (token.scopes & route.scopes):
            raise ApiError(403, {"detail": "You do not have permission to perform this action."})



def _bearer(headers: dict[str, str]) -> str | None:
    scheme, _, rest = headers.get("authorization", "").partition(" ")
    return rest.strip() or None if scheme.lower() == "bearer" else None


@contextlib.contextmanager
def run_emulator(profile: str | Profile | None = None, seed: str | Path | dict | None = None,
                 **options: Any) -> Iterator[Emulator]:
    """Start an emulator on a free port in a background thread; stop it on exit.

    `options` go to `Emulator` (state_file, slack_task_delay, slack_task_outcome, rate_limits,
    detector_deletion_delay, alert_rule_limit, port)."""
    emu = Emulator(profile=profile, seed=seed, **options).start()
    try:
        yield emu
    finally:
        emu.stop()
