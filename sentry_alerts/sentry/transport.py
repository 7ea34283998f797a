"""Where the token may travel: TLS options checked before the first request.

- TLS certificates are always verified; `--ca-bundle FILE` names the certificate authorities of
  a self-hosted Sentry (REQUESTS_CA_BUNDLE works too). There is no switch to turn verification
  off: a token sent to an unverified host is a token given away.
- `--insecure` only allows plain http:// to a host that is not this machine, and says so loudly
  on stderr every time (a warning, shown even without -v), naming the host the token goes to.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.sentry.client import is_loopback

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
