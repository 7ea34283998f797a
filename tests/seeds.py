"""Emulator seeds for tests (no tests here): the default seed with organization settings
changed."""

from __future__ import annotations

from typing import Any

import yaml

from sentry_alerts.emulator.seed import DEFAULT_SEED


def default_seed(**org: Any) -> dict:
    """The default seed (org acme) with these organization keys set, e.g.
    `default_seed(open_membership=False)` or `default_seed(metric_detector_limit=1)`."""
    seed = yaml.safe_load(DEFAULT_SEED.read_text(encoding="utf-8"))
    seed["organizations"][0].update(org)
    return seed
