"""Policy files: the YAML format, its checks, and loading it into AlertSpecs."""

from sentry_alerts.policy.diagnostics import Diagnostic
from sentry_alerts.policy.loader import Policy, load_policy, load_policy_text

__all__ = ["Diagnostic", "Policy", "load_policy", "load_policy_text"]
