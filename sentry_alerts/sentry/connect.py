"""`connect()`: from URL, token and org to a ready backend.

1. No token: AuthError (the caller may write a manual guide instead).
2. GET /api/0/organizations/{org}/ checks token and org, and gives `links.regionUrl` (sentry.io:
   the org's region host, used from then on) and the org's `features`.
3. The backend: `auto` uses monitors where the server serves /detectors/ (a GET with per_page=1),
   the legacy alert rules where it answers 404; the reason is kept for the plan. The probe
   names the policy's projects (`project=<id>`), as every list does, so a project the token
   cannot see is a 403 here, explained in one sentence, before anything is planned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sentry_alerts.errors import AuthError, SentryAlertsError, SentryAPIError
from sentry_alerts.sentry.alert_rules import AlertRulesBackend
from sentry_alerts.sentry.backend import Backend
from sentry_alerts.sentry.client import DEFAULT_RETRY_BUDGET, SentryClient
from sentry_alerts.sentry.common import project_scope
from sentry_alerts.sentry.deadline import Deadline
from sentry_alerts.sentry.lookups import Directory
from sentry_alerts.sentry.monitors import MonitorsBackend
from sentry_alerts.sentry.transport import check_transport, check_url

BACKENDS = ("auto", "alert-rules", "monitors")
NO_TOKEN = ("no Sentry token: set SENTRY_AUTH_TOKEN or pass --token (an auth token with "
            "org:read and alerts:write); without API access, `sentry-alerts guide` writes the "
            "steps to do by hand.")


@dataclass
class Connection:
    client: SentryClient
    org: str
    url: str  # the API base actually used (the org's region URL on sentry.io)
    backend: Backend
    backend_reason: str  # e.g. "monitors: this server serves /detectors/ (auto)"
    directory: Directory
    features: frozenset[str] | None = None


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in; ValueError when unusable."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower().rstrip("."), port


def _is_sentry_io(host: str) -> bool:
    return host == "sentry.io" or host.endswith(".sentry.io")


def _same_site(base: str, region: str) -> bool:
    """Follow `links.regionUrl` only where the token may go: the configured origin itself
    (scheme, host and port), or, when the configured host is sentry.io, another sentry.io host
    over https on port 443 (sentry.io's regions: us.sentry.io, de.sentry.io). Never a subdomain
    of a self-hosted host, another port, plain http, or a look-alike such as notsentry.io."""
    try:
        mine, theirs = _origin(base), _origin(region)
    except ValueError:  # e.g. a port that is not a number
        return False
    scheme, host, _ = theirs
    if not host or scheme not in ("https", "http"):
        return False
    if theirs == mine:
        return True
    return (scheme == "https" and theirs[2] == 443 and mine[0] == "https"
            and _is_sentry_io(mine[1]) and _is_sentry_io(host))


def connect(*, url: str, token: str | None, org: str, backend: str = "auto",
            insecure: bool = False, timeout: float = 30.0, task_deadline: float = 300.0,
            progress: Callable[[str], None] | None = None,
            retry_budget: float = DEFAULT_RETRY_BUDGET, poll_interval: float = 1.0,
            uncertain_settle: float = 1.0, max_concurrency: int = 25,
            projects: Sequence[str] | None = None, ca_bundle: str | None = None,
            command_timeout: float | None = None) -> Connection:
    """`projects`: the project slugs the caller will work in (the policy's), sent with the
    backend probe; None probes every accessible project. `ca_bundle`: a PEM file of the
    certificate authorities to trust (a self-hosted Sentry's own CA). `command_timeout`: the
    whole command's deadline in seconds (--timeout), counted from here."""
    if backend not in BACKENDS:
        raise SentryAlertsError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}.")
    if not token or not token.strip():
        raise AuthError(NO_TOKEN)
    if not org:
        raise SentryAlertsError("no organization: set `organization` in the policy, SENTRY_ORG, "
                                "or pass --org.")
    say = progress or (lambda message: None)
    base = check_url(url, insecure=insecure)
    check_transport(base, insecure=insecure, ca_bundle=ca_bundle)
    client = SentryClient(base, token.strip(), org=org,
                          timeout=timeout, insecure=insecure, retry_budget=retry_budget,
                          max_concurrency=max_concurrency, ca_bundle=ca_bundle)
    client.deadline = Deadline(command_timeout)
    info = client.get(f"/api/0/organizations/{org}/", bucket="organizations.get",
                      what=f"organization {org!r}")
    if not isinstance(info, dict):
        raise SentryAPIError(f"Sentry answered GET /api/0/organizations/{org}/ with something "
                             "that is not an organization; check --url.")
    region = ((info.get("links") or {}).get("regionUrl") or "").rstrip("/")
    if region and region != client.base_url:
        if _same_site(client.base_url, region):
            say(f"using the organization's region {region}")
            client = client.with_base_url(region)
        else:
            say(f"ignoring the region URL {region} that Sentry gave (not the same site as "
                f"{client.base_url})")
    features = info.get("features")
    feature_set = frozenset(str(f) for f in features) if isinstance(features, list) else None
    directory = Directory(client, org)
    # Unknown project slugs are left out here: plan's reference check lists them all, with
    # the projects that exist.
    known = [p for p in projects or () if p in directory.projects()]
    scope = project_scope(directory, known if projects else None)
    try:
        name, reason = _choose_backend(client, org, backend, scope)
    except AuthError as exc:
        raise _project_access_error(exc, client, org, directory, projects) or exc from None
    chosen: Backend
    if name == "monitors":
        chosen = MonitorsBackend(client, org, directory=directory, progress=progress,
                                 uncertain_settle=uncertain_settle)
    else:
        chosen = AlertRulesBackend(client, org, directory=directory, features=feature_set,
                                   task_deadline=task_deadline, poll_interval=poll_interval,
                                   progress=progress, uncertain_settle=uncertain_settle)
    return Connection(client, org, client.base_url, chosen, reason, directory, feature_set)


def _project_access_error(exc: AuthError, client: SentryClient, org: str,
                          directory: Directory, projects: Sequence[str] | None
                          ) -> AuthError | None:
    """A 403 for a listing that names projects: which of them the token cannot see, as one
    sentence (probing each alone; only on this error path). None when no single project is
    refused (then the original error stands)."""
    if exc.status != 403 or not projects or exc.call is None:
        return None
    path = exc.call.split(" ", 1)[-1].split("?", 1)[0]
    refused = []
    for slug in sorted(set(projects)):
        try:
            client.get(path, {"per_page": 1, **project_scope(directory, [slug])},
                       what=f"access to project {slug}")
        except AuthError as each:
            if each.status == 403:
                refused.append(slug)
    if not refused:
        return None
    names = ", ".join(repr(s) for s in refused)
    plural = "s" if len(refused) > 1 else ""
    return AuthError(
        f"the token cannot see project{plural} {names} of organization {org!r}: Sentry answered "
        f"403 to {exc.call} for it. Its user is on none of the project's teams and the "
        "organization's Open Membership is off (or the user's role cannot see it). Add the user "
        "to a team of the project (Settings → Teams), or use the token of a member who is; "
        "the token needs org:read and alerts:write.", status=403, call=exc.call, body=exc.body)


def _probe(client: SentryClient, path: str, bucket: str, scope: dict[str, Any]) -> int:
    """200, or the error status of a cheap list call (auth errors are raised)."""
    try:
        client.get(path, {"per_page": 1, **scope}, bucket=bucket)
        return 200
    except AuthError:
        raise
    except SentryAPIError as exc:
        if exc.status in (404, 410):
            return exc.status
        raise


def _choose_backend(client: SentryClient, org: str, requested: str,
                    scope: dict[str, Any]) -> tuple[str, str]:
    detectors = f"/api/0/organizations/{org}/detectors/"
    rules = f"/api/0/organizations/{org}/alert-rules/"
    if requested == "monitors":
        status = _probe(client, detectors, "detectors.list", scope)
        if status != 200:
            raise SentryAPIError(
                f"this Sentry does not serve monitors (GET {detectors} answered {status}); it "
                "is older than the 2026 monitors API (self-hosted before 26.7): use "
                "--backend alert-rules or auto.", status=status, call=f"GET {detectors}")
        return "monitors", "monitors: chosen with --backend monitors"
    if requested == "alert-rules":
        status = _probe(client, rules, "alert_rules.list", scope)
        if status != 200:
            raise SentryAPIError(
                f"this Sentry no longer serves the legacy alert rules API (GET {rules} answered "
                f"{status}; sentry.io retired it in 2026): use --backend monitors or auto.",
                status=status, call=f"GET {rules}")
        return "alert-rules", "alert-rules: chosen with --backend alert-rules"
    status = _probe(client, detectors, "detectors.list", scope)
    if status == 200:
        return "monitors", "monitors: this server serves /detectors/ (auto)"
    rules_status = _probe(client, rules, "alert_rules.list", scope)
    if rules_status == 200:
        return "alert-rules", (f"alert-rules: this server does not serve /detectors/ "
                               f"({status}), so the legacy alert rules API (auto)")
    raise SentryAPIError(
        f"this Sentry serves neither monitors (GET {detectors} answered {status}) nor alert rules "
        f"(GET {rules} answered {rules_status}); check that organization {org!r} has alerts "
        "enabled (feature `incidents`) and that --url is right.", status=rules_status,
        call=f"GET {rules}")
