"""Faults in Sentry's asynchronous Slack lookup (the legacy alert rules' 202 and task).

A create or update whose Slack action names a channel without its id is answered 202 with a
task uuid; Sentry looks the channel up in the background and the task reads `pending`, then
`success` or `failed` (slack_task.py, notes §3.3). Two faults act on that lookup, matched
like any other fault against the create or update request that starts it
(`route="alert_rules.*"`, ...):

- `slack_lookup_failed`: the task fails with Sentry's "does not exist or has not been granted
  access" text (Slack down, the bot removed from the channel); nothing is saved;
- `slack_lookup_stuck`: the task never finishes (a lost Celery task): it reads `pending`
  forever and nothing is saved.

`emu.faults.slack_lookup_fails(times, **match)` and `emu.faults.slack_lookup_stuck(times,
**match)` add them (faults.py); over HTTP, POST /__emulator__/faults with the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sentry_alerts.emulator.faults import SLACK_LOOKUP_FAILED, SLACK_LOOKUP_STUCK


def schedule_lookup(emu: Any, req: Any, task: Any, finish: Callable[[], None], *,
                    failure: str) -> None:
    """Finish `task` after the emulator's Slack delay by calling `finish()`, unless a fault on
    the request that started it makes the lookup fail (with `failure`) or never end."""
    fault = emu.faults.take((SLACK_LOOKUP_FAILED, SLACK_LOOKUP_STUCK),
                            getattr(req, "route_name", None), req.method, req.path)
    if fault is not None and fault.kind == SLACK_LOOKUP_STUCK:
        return  # pending forever
    if fault is not None:
        def fail() -> None:
            with emu.lock:
                task.status, task.error = "failed", failure

        emu.later(emu.slack_task_delay, fail)
        return
    emu.later(emu.slack_task_delay, finish)


__all__ = ["schedule_lookup"]
