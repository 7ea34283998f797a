"""Shared test helpers.

Reference files live in ../shared/reference beside the project and are never copied in; tests
that need one skip, saying why, when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
POLICIES = ROOT / "policies"


def reference_file(name: str) -> Path:
    """Path to a file in ../shared/reference, or skip the test saying why."""
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"needs ../shared/reference/{name} beside the project (not present here)")
    return path
