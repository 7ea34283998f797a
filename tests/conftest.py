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


# --- the canary scan: no token in any output of the suite (issue 12) ---

def _secrets() -> tuple[str, ...]:
    from sentry_alerts.emulator import seed

    return tuple(value for name, value in vars(seed).items()
                 if name.endswith("_TOKEN") and isinstance(value, str))


def _emulator_command(args) -> bool:
    """`sentry-alerts emulator` prints its own fake tokens on purpose (a banner to copy)."""
    return any(str(a) in ("emulator", "sentry_alerts.emulator") for a in list(args or ())[:4])


@pytest.fixture(autouse=True)
def canary_scan(request, monkeypatch):
    """Every CLI run of every test (CliRunner and subprocesses) and every file a test writes
    under its tmp_path is scanned for the emulator's tokens: none may appear in stdout, stderr,
    logs, plan files, guides or JSON. Tests of the emulator's own banner are exempt."""
    import contextlib
    import logging
    import subprocess

    from typer.testing import CliRunner

    secrets = _secrets()
    leaks: list[str] = []

    def check(where: str, text) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        for secret in secrets:
            if text and secret in text:
                leaks.append(f"{where} contains a token")

    invoke = CliRunner.invoke

    def scanned_invoke(self, cli, args=None, *rest, **kw):
        result = invoke(self, cli, args, *rest, **kw)
        if not _emulator_command(args):
            check(f"the output of sentry-alerts {' '.join(map(str, args or ()))}",
                  result.output + (result.stderr if result.stderr_bytes is not None else ""))
        return result

    run = subprocess.run

    def scanned_run(args, *rest, **kw):
        result = run(args, *rest, **kw)
        command = list(args) if isinstance(args, list | tuple) else [args]
        line = " ".join(map(str, command))
        ours = "sentry_alerts" in line or "sentry-alerts" in line
        if ours and not _emulator_command(command[1:]) and \
                not _emulator_command([a for a in command if not str(a).startswith("-")][1:]):
            check(f"the output of {line}", result.stdout)
            check(f"the output of {line}", result.stderr)
        return result

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # a record that cannot format is someone else's test
            with contextlib.suppress(Exception):
                check(f"log record {record.name}", record.getMessage())

    monkeypatch.setattr(CliRunner, "invoke", scanned_invoke)
    monkeypatch.setattr(subprocess, "run", scanned_run)
    handler = Recorder(level=logging.DEBUG)
    logging.getLogger("sentry_alerts").addHandler(handler)
    root = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames and \
        "emulator" not in request.node.nodeid else None  # its state files hold its tokens
    try:
        yield
    finally:
        logging.getLogger("sentry_alerts").removeHandler(handler)
    if root is not None:
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_size < 5_000_000:
                check(str(path.relative_to(root)), path.read_bytes())
    assert not leaks, "token leaked: " + "; ".join(sorted(set(leaks)))
