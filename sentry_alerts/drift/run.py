"""`sentry-alerts drift POLICY`: does Sentry still match the policy?

The same plan as `plan --detailed-exitcode` (docs/plan-and-apply.md), for a schedule: exit 0
when Sentry matches, 2 with the diff when it drifted (creates, updates, deletes or conflicts are
pending), 1 on any error. Never a manual guide: a job that cannot reach Sentry must fail, not
write pages nobody reads. With a DSN, each run reports on itself (selfmonitor.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TextIO

from sentry_alerts.drift.scrub import Scrubber, secrets_from
from sentry_alerts.errors import EXIT_CHANGES, SentryAlertsError

FORMATS = ("text", "markdown", "json")


def run_drift(policy: Path, *, fmt: str, backend: str, token: str | None, url: str,
              org: str | None, insecure: bool, monitor_dsn: str | None,
              monitor_slug: str | None, monitor_schedule: str | None, stdout: TextIO,
              stderr: TextIO, connect_options: dict[str, Any] | None = None) -> int:
    from sentry_alerts.drift.selfmonitor import monitor_settings

    if fmt not in FORMATS:
        raise SentryAlertsError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}.")
    settings = monitor_settings(monitor_dsn, monitor_slug, monitor_schedule, str(policy))
    if settings is None:  # no DSN: sentry_sdk is never imported, nothing leaves the machine
        return check(policy, fmt=fmt, backend=backend, token=token, url=url, org=org,
                     insecure=insecure, stdout=stdout, stderr=stderr,
                     connect_options=connect_options)[0]

    from sentry_alerts.drift.selfmonitor import SelfMonitor

    scrubber = Scrubber(secrets_from(sys.argv, token, os.environ.get("SENTRY_AUTH_TOKEN")))
    context = {"command": "drift", "policy_file": str(policy), "org": org, "url": url,
               "backend": backend, "format": fmt}
    monitor = SelfMonitor.start(settings, scrubber, context)
    ok = False
    try:
        code, plan = check(policy, fmt=fmt, backend=backend, token=token, url=url, org=org,
                           insecure=insecure, stdout=stdout, stderr=stderr,
                           connect_options=connect_options)
        if code == EXIT_CHANGES:
            monitor.drifted(plan)
        ok = True
        return code
    except (SentryAlertsError, KeyboardInterrupt):
        raise  # told as one paragraph by the CLI; the `error` check-in says the run failed
    except Exception as exc:  # a bug of ours: captured with the command's context
        monitor.crashed(exc)
        raise
    finally:
        monitor.finish(ok)


def check(policy: Path, *, fmt: str, backend: str, token: str | None, url: str,
          org: str | None, insecure: bool, stdout: TextIO, stderr: TextIO,
          connect_options: dict[str, Any] | None = None) -> tuple[int, Any]:
    """Plan and print it; (0 or 2, the plan). Raises SentryAlertsError on every error."""
    from sentry_alerts.plan import plan_policy
    from sentry_alerts.saved_plan import is_saved_plan

    if is_saved_plan(policy):
        raise SentryAlertsError(f"{policy} is a saved plan, not a policy file: drift compares "
                                "Sentry with a policy; give the policy file.")
    planned = plan_policy(str(policy), token=token, url=url, org=org, backend=backend,
                          insecure=insecure, progress=lambda m: stderr.write(m + "\n"),
                          connect_options=connect_options)
    for diagnostic in planned.policy.warnings:
        stderr.write(diagnostic.format() + "\n")
    plan = planned.plan
    stdout.write(render(plan, fmt, color=fmt == "text" and _colour(stdout)))
    if not plan.listing_complete:
        raise SentryAlertsError("the list of live alerts was incomplete, so this run cannot tell "
                                "whether Sentry matches the policy; it will be checked again "
                                "on the next run (or run drift again now).")
    if plan.has_changes:
        pending = sum(plan.count(a) for a in ("create", "update", "delete", "conflict"))
        what = "1 alert of policy {} differs" if pending == 1 else f"{pending} alerts of " \
            "policy {} differ"
        stderr.write(f"drift: {what.format(plan.policy_name)} from Sentry (exit 2); "
                     f"`sentry-alerts apply {policy}` puts Sentry back in line, or change the "
                     "policy to keep what was changed in Sentry.\n")
        return EXIT_CHANGES, plan
    return 0, plan


def render(plan: Any, fmt: str, *, color: bool) -> str:
    if fmt == "markdown":
        from sentry_alerts.render.markdown import render_markdown

        return render_markdown(plan)
    if fmt == "json":
        from sentry_alerts.render.json_view import render_json

        return render_json(plan)
    from sentry_alerts.render.text import render_plan

    return render_plan(plan, color=color)


def _colour(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")


__all__ = ["FORMATS", "check", "run_drift"]
