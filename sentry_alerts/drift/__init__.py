"""`sentry-alerts drift POLICY`: `plan --detailed-exitcode` made for schedules (docs/drift.md).

    run.py          the check: exit 0 when Sentry matches the policy, 2 with the diff when it
                    drifted, 1 on any error (never a manual guide)
    selfmonitor.py  with a DSN only (`--monitor-dsn` / SENTRY_ALERTS_DSN): a Sentry Crons
                    check-in per run, one event per run with the drifted alerts (grouped by
                    policy), crashes with the command's context; sentry_sdk is imported there
                    and nowhere else, so without a DSN it is never loaded
    scrub.py        what every event and breadcrumb is cleaned of before it is sent: the
                    configured token, anything shaped like a Sentry token, and argv secrets
"""
