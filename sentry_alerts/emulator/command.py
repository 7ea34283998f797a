"""The `sentry-alerts emulator` command: start an emulator from the command's options, print
the banner (banner.py) and serve until Ctrl-C. Bad input becomes one paragraph, never a
traceback.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from sentry_alerts.emulator.admin import ADMIN_PREFIX
from sentry_alerts.emulator.server import Emulator


def serve(*, port: int = 0, profile: str | None = None, seed: str | Path | None = None,
          state_file: str | Path | None = None, slack_task_delay: float = 2.0,
          out: Any = None) -> int:
    """The `sentry-alerts emulator` command: serve until Ctrl-C, printing the URL and tokens.
    Bad input becomes a SentryAlertsError (one paragraph, no traceback)."""
    import sys

    from sentry_alerts.errors import SentryAlertsError

    out = out or sys.stdout
    try:
        emu = Emulator(profile=profile, seed=seed, state_file=state_file, port=port,
                       slack_task_delay=slack_task_delay)
    except FileNotFoundError as exc:
        raise SentryAlertsError(f"cannot read the emulator seed or state file: {exc.filename} "
                                "does not exist. Pass an existing YAML/JSON file.") from None
    except (ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise SentryAlertsError(f"cannot start the emulator: {exc}. Check --profile and the "
                                "seed/state file (format: docs/emulator.md).") from None
    try:
        emu.start()
    except OSError as exc:
        raise SentryAlertsError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}. Choose "
                                "another --port (or 0 for a free one).") from None
    from sentry_alerts.emulator.banner import banner

    print(banner(emu, admin_prefix=ADMIN_PREFIX), file=out, flush=True)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("Emulator stopped.", file=out)
    finally:
        emu.stop()
    return 0
