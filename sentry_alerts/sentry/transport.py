"""Where the token may travel: TLS options checked before the first request.

- TLS certificates are always verified; `--ca-bundle FILE` names the certificate authorities of
  a self-hosted Sentry (REQUESTS_CA_BUNDLE works too). There is no switch to turn verification
  off: a token sent to an unverified host is a token given away.
- `--insecure` only allows plain http:// to a host that is not this machine, and says so loudly
  on stderr every time (a warning, shown even without -v), naming the host the token goes to.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from sentry_alerts.errors import SentryAlertsError

log = logging.getLogger("sentry_alerts.sentry")


def check_transport(base_url: str, *, insecure: bool, ca_bundle: str | None) -> None:
    """Raise a clear error for an unusable --ca-bundle; warn about --insecure."""
    if ca_bundle is not None:
        path = Path(ca_bundle)
        if not path.is_file():
            raise SentryAlertsError(
                f"--ca-bundle {ca_bundle}: no such file; pass the PEM file of the certificate "
                "authority that signed your Sentry's certificate.")
        try:
            head = path.read_bytes()[:1_000_000]
        except OSError as exc:
            raise SentryAlertsError(f"--ca-bundle {ca_bundle} cannot be read "
                                    f"({exc.strerror or exc}).") from None
        if b"-----BEGIN CERTIFICATE-----" not in head:
            raise SentryAlertsError(
                f"--ca-bundle {ca_bundle} holds no PEM certificate (no \"-----BEGIN "
                "CERTIFICATE-----\" line); pass the certificate authority's certificate in PEM "
                "form.")
    if insecure:
        parts = urlsplit(base_url)
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            log.warning("--insecure: the Sentry token is sent over plain http:// to %s, where "
                        "anyone on the network between can read and reuse it; use https:// "
                        "(and --ca-bundle for a private certificate authority) instead.",
                        parts.hostname)
        else:
            log.warning("--insecure has no effect for %s: plain http:// is only a risk to "
                        "other machines, and TLS certificates are always verified (use "
                        "--ca-bundle for a private certificate authority).", parts.hostname)


class InsecureURLError(SentryAlertsError):
    """Plain http:// to a host that is not this machine."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, insecure: bool = False) -> str:
    """The base URL without a trailing slash or `/api/0`; raises a clear error when unusable."""
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SentryAlertsError(
            f"the Sentry URL {raw!r} is not an http(s) URL; pass e.g. --url https://sentry.io "
            "or your self-hosted address.")
    if parts.scheme == "http" and not insecure and not is_loopback(parts.hostname):
        raise InsecureURLError(
            f"refusing to send the Sentry token over plain http:// to {parts.hostname}: use "
            "https://, or pass --insecure if this network is trusted (http:// is only allowed "
            "to this machine by default).")
    base = f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    if base.endswith("/api/0"):
        base = base[: -len("/api/0")]
    return base


def new_session(max_concurrency: int) -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4,
                                            pool_maxsize=max(10, max_concurrency + 4),
                                            max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # The environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, ...) is read once per client
    # by environment_settings and passed with each request, instead of again per request.
    # It also keeps a ~/.netrc entry from replacing the token's Authorization header.
    session.trust_env = False
    return session


def environment_settings(base_url: str) -> dict[str, Any]:
    """requests' proxies, TLS verification (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) and client
    certificate for this base URL, as a session that trusts the environment would use."""
    with requests.Session() as probe:
        probe.trust_env = True
        found = probe.merge_environment_settings(base_url + "/", {}, None, None, None)
    return {"proxies": found["proxies"], "verify": found["verify"], "cert": found["cert"]}
