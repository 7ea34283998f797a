"""Legacy metric alert rules API (notes §1-§3). Work in progress."""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.core import Router


def seed_alert_rules(emu: Any, seed: dict[str, Any]) -> None:
    """Create the seed's pre-existing alert rules."""


def register(router: Router) -> None:
    pass
