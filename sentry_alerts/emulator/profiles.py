"""Server profiles: which Sentry the emulator pretends to be.

Sources (../shared/reference/sentry-api-notes.md): §1.5 rate limits, §2.4 datasets, §5 the legacy
API's removal on SaaS, §6 SaaS versus self-hosted. docs/emulator.md has the table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal


@dataclass(frozen=True)
class RateLimit:
    """Fixed windows per (token, route name), as Sentry's RatelimitMiddleware (notes §1.5)."""

    limit: int = 40  # requests per window
    window: int = 1  # seconds
    concurrent: int = 25  # requests in flight at once per (token, route name)


@dataclass(frozen=True)
class Profile:
    name: str
    legacy_api: Literal["serve", "gone"]
    monitors_api: bool
    # False: new alerts on `transactions` / `generic_metrics` are refused (notes §2.4, 2026).
    transaction_datasets: bool
    rate_limits: RateLimit | None
    # True: the server runs Sentry's `deprecated` decorator (SaaS): brownout faults answer 410
    # with its body. On self-hosted the decorator does nothing (notes §6).
    brownouts: bool
    deprecation_headers: bool
    # `transactions` itself is refused with the generic_metrics message (dynamic sampling +
    # mep-rollout-flag on, notes §2.4/§6) even when transaction datasets are otherwise allowed.
    transactions_needs_metrics: bool = True
    description: str = ""

    def with_rate_limits(self, rate_limits: RateLimit | None) -> Profile:
        return replace(self, rate_limits=rate_limits)


PROFILES: dict[str, Profile] = {
    "saas-2026": Profile(
        name="saas-2026", legacy_api="gone", monitors_api=True, transaction_datasets=False,
        rate_limits=RateLimit(), brownouts=True, deprecation_headers=True,
        description="sentry.io since 2026-09: alert-rules answer 410, monitors only, spans only, "
                    "rate limits 40 req/s and 25 concurrent.",
    ),
    "saas-2026-05": Profile(
        name="saas-2026-05", legacy_api="serve", monitors_api=True, transaction_datasets=False,
        rate_limits=RateLimit(), brownouts=True, deprecation_headers=True,
        description="sentry.io in May-Aug 2026: alert-rules still served with deprecation "
                    "headers (brownouts on demand), monitors too, spans only.",
    ),
    "self-hosted-25": Profile(
        name="self-hosted-25", legacy_api="serve", monitors_api=False, transaction_datasets=True,
        rate_limits=None, brownouts=False, deprecation_headers=False,
        description="self-hosted 25.x: alert-rules only (no detectors/workflows routes), "
                    "generic_metrics allowed, no rate limits.",
    ),
    "self-hosted-26.7": Profile(
        name="self-hosted-26.7", legacy_api="serve", monitors_api=True, transaction_datasets=False,
        rate_limits=None, brownouts=False, deprecation_headers=False,
        description="self-hosted 26.7+: both APIs, transaction datasets refused, no rate limits.",
    ),
}

DEFAULT_PROFILE = "saas-2026"


def get_profile(name: str | Profile | None) -> Profile:
    """A profile by name (or the default). Raises ValueError naming the choices."""
    if isinstance(name, Profile):
        return name
    key = name or DEFAULT_PROFILE
    if key not in PROFILES:
        raise ValueError(f"unknown emulator profile {key!r}; choose one of: "
                         + ", ".join(sorted(PROFILES)))
    return PROFILES[key]
