"""`sentry-alerts --help` starts fast because cli.py imports no heavy module at load time."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pydantic", "yaml", "sentry_sdk", "requests", "sentry_alerts.policy")


def test_cli_module_does_not_import_heavy_modules() -> None:
    code = ("import sys, sentry_alerts.cli; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"imported at start-up (slows --help): {done.stdout.strip()}"


def test_help_lists_the_policy_commands() -> None:
    done = subprocess.run([sys.executable, "-m", "sentry_alerts", "--help"], capture_output=True,
                          text=True, check=False, env={"NO_COLOR": "1", "COLUMNS": "120",
                                                       "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "validate" in done.stdout and "schema" in done.stdout
