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


# --- the Sentry emulator (sentry_alerts/emulator; docs/emulator.md) ---

@pytest.fixture
def emulator():
    """A fresh emulator (default profile, default seed, short Slack task delay) on a free port.
    Use `emulator.url`, the tokens in `sentry_alerts.emulator` (ADMIN_TOKEN, ...),
    `emulator.faults`, `emulator.request_log`, `emulator.edit(...)`/`emulator.delete(...)`."""
    from sentry_alerts.emulator import run_emulator

    with run_emulator(slack_task_delay=0.05) as emu:
        yield emu


@pytest.fixture
def emulator_factory():
    """Start emulators with other profiles/seeds/options: `emulator_factory(profile=..., seed=...,
    **Emulator options)`; all are stopped after the test."""
    from contextlib import ExitStack

    from sentry_alerts.emulator import run_emulator

    with ExitStack() as stack:
        def start(profile=None, seed=None, **options):
            options.setdefault("slack_task_delay", 0.05)
            return stack.enter_context(run_emulator(profile=profile, seed=seed, **options))

        yield start


# --- golden files (tests/golden/; regenerate with UPDATE_GOLDEN=1) ---

def assert_golden(path: Path, name: str, actual: str, *, update: bool, regenerate: str) -> None:
    """Compare `actual` with the golden file at `path` (called `name` in messages); with `update`
    (UPDATE_GOLDEN=1), write it instead. `regenerate` ends the mismatch message: how to
    regenerate and what diff to review."""
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if the change is intended, {regenerate}")
