"""The values a person types or picks, for one alert on one dataset in one UI.

Every value comes from `model.desired_alert(spec, dataset)`, the function the backends use for
`apply`, so the guide and `apply` cannot drift apart. This module only re-expresses those
values in the UI's own words (labels of the window select, team names, the number for a
threshold input in milliseconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sentry_alerts.guide.markdown import plain_number
from sentry_alerts.model import Alert, AlertSpec, EmailTarget, SlackTarget, desired_alert

UI = Literal["alerts", "monitors"]
UIS: tuple[UI, ...] = ("alerts", "monitors")
UI_TITLES = {"alerts": "Alerts (legacy UI)", "monitors": "Monitors & Alerts (new UI)"}

# Labels of the time window select in the legacy form ("[timeWindow] interval").
ALERTS_WINDOW_LABELS = {
    1: "1 minute interval", 5: "5 minute interval", 10: "10 minute interval",
    15: "15 minute interval", 30: "30 minute interval", 60: "1 hour interval",
    120: "2 hour interval", 240: "4 hour interval", 1440: "24 hour interval",
}
# Labels of the "Interval" select of a span metric monitor (no 1 minute for spans).
MONITORS_WINDOW_LABELS = {
    5: "5 minutes", 10: "10 minutes", 15: "15 minutes", 30: "30 minutes", 60: "1 hour",
    120: "2 hours", 240: "4 hours", 1440: "1 day",
}
# The legacy "Transaction Duration" type only offers these functions.
TRANSACTION_DURATION_FUNCTIONS = ("avg", "p50", "p75", "p90", "p95", "p99", "p100")


@dataclass(frozen=True)
class Variant:
    """One way to build the alert in a UI: the dataset and the UI's name for that choice."""

    dataset: str  # "spans" | "metrics" | "transactions"
    choice: str  # legacy: the alert type ("Duration"); new UI: the Dataset ("Spans")


def variants(ui: UI, dataset: str) -> tuple[Variant, ...]:
    """The datasets a person may end up with in a UI, preferred first.

    `dataset` is the policy's choice ("auto" or concrete) or, with a plan, the backend's.
    "auto" means spans where the org offers them, which is what a backend picks on any server
    that accepts span alerts; the legacy wizard shows "Duration" exactly on such orgs.
    """
    if ui == "alerts":
        if dataset == "auto":
            return (Variant("spans", "Duration"), Variant("transactions", "Transaction Duration"))
        if dataset == "spans":
            return (Variant("spans", "Duration"),)
        return (Variant(dataset, "Transaction Duration"),)
    if dataset in ("auto", "spans"):
        return (Variant("spans", "Spans"),)
    return (Variant(dataset, "Transactions"),)


_AGGREGATE_RE = re.compile(r"^(\w+)\((.*)\)$")


def split_aggregate(aggregate: str) -> tuple[str, str]:
    """'p95(span.duration)' -> ('p95', 'span.duration')."""
    m = _AGGREGATE_RE.match(aggregate)
    if not m:
        return aggregate, ""
    return m.group(1), m.group(2)


def owner_parts(owner: str | None) -> tuple[str, str] | None:
    """'team:backend' -> ('team', 'backend'); 'user:a@b.c' -> ('user', 'a@b.c')."""
    if not owner:
        return None
    kind, _, name = owner.partition(":")
    return (kind, name) if name else ("team", kind)


@dataclass(frozen=True)
class FormValues:
    """What to enter for one alert, in one UI, on one dataset."""

    ui: UI
    variant: Variant
    alert: Alert  # desired_alert(spec, variant.dataset): the single source of every value

    @property
    def function(self) -> str:
        return split_aggregate(self.alert.aggregate)[0]

    @property
    def attribute(self) -> str:
        return split_aggregate(self.alert.aggregate)[1]

    @property
    def window_minutes(self) -> int:
        return int(self.alert.window_minutes)

    @property
    def window_label(self) -> str | None:
        """The option to pick, or None when this UI/dataset does not offer the window."""
        if self.variant.dataset == "spans" and self.window_minutes < 5:
            return None  # span datasets start at 5 minutes in both UIs
        labels = ALERTS_WINDOW_LABELS if self.ui == "alerts" else MONITORS_WINDOW_LABELS
        return labels.get(self.window_minutes)

    @property
    def function_offered(self) -> bool:
        if self.ui == "alerts" and self.variant.choice == "Transaction Duration":
            return self.function in TRANSACTION_DURATION_FUNCTIONS
        return True

    @staticmethod
    def number(ms: float | None) -> str | None:
        return None if ms is None else plain_number(ms)

    @property
    def slack_targets(self) -> tuple[SlackTarget, ...]:
        return tuple(t for t in self.alert.targets if isinstance(t, SlackTarget))

    @property
    def email_targets(self) -> tuple[EmailTarget, ...]:
        return tuple(t for t in self.alert.targets if isinstance(t, EmailTarget))

    @property
    def owner(self) -> tuple[str, str] | None:
        return owner_parts(self.alert.owner)


def form_values(spec: AlertSpec, ui: UI, dataset: str | None = None) -> tuple[FormValues, ...]:
    """The values for each dataset variant of `spec` in `ui`.

    `dataset` overrides the policy's choice (e.g. the dataset a plan's backend picked)."""
    return tuple(
        FormValues(ui=ui, variant=v, alert=desired_alert(spec, v.dataset))
        for v in variants(ui, dataset or spec.dataset)
    )


def notification_alert_name(policy: str, targets: tuple) -> str:
    """Name for the new UI's Alert (workflow) that delivers a monitor's notifications.

    The monitors backend's own name: "Notify <targets> (sentry-alerts policy P, targets H)".
    The part in parentheses marks the Alert as managed, so sentry-alerts reuses it for every
    monitor of the policy with the same targets instead of creating another one."""
    from sentry_alerts.sentry.monitors_bodies import workflow_name  # late: pulls in requests

    return workflow_name(policy, tuple(targets))
