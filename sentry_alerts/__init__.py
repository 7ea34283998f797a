"""sentry-alerts: keep Sentry's performance alerts in code.

policy -> desired alerts -> diff against live alerts -> plan -> apply.
"""

__version__ = "0.1.0"
