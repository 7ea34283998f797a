"""Alert name templates: the placeholders a policy's `name:` may use, and each template read
once (10,000 transactions usually share one or two templates; issue 11)."""

from __future__ import annotations

import functools
import string

# The transaction and the statistic, not the threshold: a name that holds the threshold changes
# (and the alert's history moves to a new name) every time the threshold does. The thresholds
# are in the description (model.describe_alert) and in the plan.
DEFAULT_NAME_TEMPLATE = "{transaction}: {metric} latency"
PLACEHOLDERS: tuple[str, ...] = (
    "transaction", "metric", "critical", "warning", "resolve", "window", "sla", "project",
    "environment", "key",
)
MAX_NAME = 200  # Sentry: detector names <= 200 characters (alert rules allow 256)


@functools.lru_cache(maxsize=256)
def template_fields(template: str) -> tuple[tuple[str, ...], bool]:
    """The placeholder names a name template uses, in order, and whether any has a format spec
    or a conversion (`{critical:>5}`, `{key!r}`). ValueError when it does not parse."""
    parsed = [(field, spec, conversion)
              for _, field, spec, conversion in string.Formatter().parse(template)
              if field is not None]
    return (tuple(field for field, _, _ in parsed),
            any(spec or conversion for _, spec, conversion in parsed))


__all__ = ["DEFAULT_NAME_TEMPLATE", "MAX_NAME", "PLACEHOLDERS", "template_fields"]
