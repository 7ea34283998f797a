"""What every Sentry alert backend offers the planner and the applier.

There are two backends: `alert-rules` (the legacy metric alert rules API) and `monitors`
(detectors + workflows). Each only translates between the neutral `Alert` model and its own
JSON, in both directions, and normalises what Sentry echoes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sentry_alerts.model import Alert, AlertSpec

BackendName = Literal["alert-rules", "monitors"]


@dataclass
class LiveListing:
    """All live alerts of the backend's kind in the org (managed or not).

    `complete` is False when any page of the listing failed: pruning must not delete anything
    then, because a missing alert may simply be on the page that failed.
    """

    alerts: list[Alert]
    complete: bool = True
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DatasetChoice:
    dataset: str  # "spans" | "metrics" | "transactions"
    reason: str  # one sentence for the plan: why this dataset


class Backend(Protocol):
    name: BackendName

    def choose_dataset(self, requested: str) -> DatasetChoice:
        """Turn the policy's dataset ("auto" or concrete) into the one this server accepts."""
        ...

    def materialize(self, spec: AlertSpec, dataset: str) -> Alert:
        """The desired alert for a spec, in neutral terms, as this backend would store it."""
        ...

    def list_alerts(self, projects: Sequence[str] | None = None) -> LiveListing:
        """The live alerts of this backend's kind in these projects (slugs), normalised; None:
        in every project the token can access (Sentry's `project=-1`). Sentry's lists without
        `project` cover only the projects of the token user's teams (notes §5.2), so a backend
        always says which."""
        ...

    def create(self, alert: Alert) -> Alert:
        """Create it and return the live alert. Must be safe to retry (see apply)."""
        ...

    def update(self, alert: Alert) -> Alert:
        """`alert` carries the live identity (`Alert.with_identity`). Returns the live alert."""
        ...

    def delete(self, alert: Alert) -> None:
        ...
