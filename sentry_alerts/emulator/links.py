"""Which workflows link to each detector: the reverse of the workflows' `detectorIds`.

Links live in one place, each stored workflow's `detectorIds` (monitors_store.py); a detector's
`workflowIds` is computed when it is served. Computing it by scanning every workflow made a
list page cost O(N) per detector, so a 10,000-monitor listing never finished (issue 11). This
index answers per detector in O(its links), and holds the forward direction too, so a write
changes only the links it touches.

Kept in step by detectors.py and workflows.py at every write of a link (a workflow created,
updated or deleted, a detector's `workflowIds`, a detector's deletion task). Writes made
elsewhere (Sentry's migration of legacy rules, `Emulator.edit`/`delete`, a restored state file)
call `invalidate()`; the next read then rebuilds the index from the stored workflows once.
All calls happen under `Emulator.lock`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class _HasWorkflows(Protocol):
    workflows: dict[int, dict]


def link_ids(raw: Any) -> list[int]:
    """A stored `detectorIds` (or `workflowIds`) as ints; entries that are not ids are ignored
    (an out-of-band edit may store anything)."""
    out = []
    for value in raw or []:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


class WorkflowLinks:
    def __init__(self, owner: _HasWorkflows) -> None:
        self._owner = owner  # the organization: its `workflows` are read at rebuild time
        self._by_detector: dict[int, set[int]] | None = None
        self._by_workflow: dict[int, set[int]] = {}
        self.rebuilds = 0  # full rebuilds from every stored workflow (tests count them)

    def invalidate(self) -> None:
        """Links were written outside the endpoints: rebuild on the next read."""
        self._by_detector = None
        self._by_workflow = {}

    def _index(self) -> dict[int, set[int]]:
        if self._by_detector is None:
            by_detector: dict[int, set[int]] = {}
            by_workflow: dict[int, set[int]] = {}
            for workflow_id, workflow in self._owner.workflows.items():
                detectors = set(link_ids(workflow.get("detectorIds")))
                by_workflow[workflow_id] = detectors
                for detector_id in detectors:
                    by_detector.setdefault(detector_id, set()).add(workflow_id)
            self._by_detector, self._by_workflow = by_detector, by_workflow
            self.rebuilds += 1
        return self._by_detector

    def workflows_of(self, detector_id: int) -> list[int]:
        """The ids of the workflows linked to this detector, in id order."""
        return sorted(self._index().get(detector_id, ()))

    def count(self, detector_id: int) -> int:
        return len(self._index().get(detector_id, ()))

    def detectors_of(self, workflow_id: int) -> set[int]:
        self._index()
        return set(self._by_workflow.get(workflow_id, ()))

    def set_workflow(self, workflow_id: int, detector_ids: Iterable[int]) -> None:
        """The stored workflow now links exactly these detectors (call after storing it)."""
        if self._by_detector is None:
            return  # rebuilt from the store on the next read
        self.drop_workflow(workflow_id)
        wanted = set(detector_ids)
        self._by_workflow[workflow_id] = wanted
        for detector_id in wanted:
            self._by_detector.setdefault(detector_id, set()).add(workflow_id)

    def link(self, workflow_id: int, detector_id: int) -> None:
        """One link added (call after storing it)."""
        if self._by_detector is None:
            return
        self._by_workflow.setdefault(workflow_id, set()).add(detector_id)
        self._by_detector.setdefault(detector_id, set()).add(workflow_id)

    def unlink(self, workflow_id: int, detector_id: int) -> None:
        """One link removed (call after storing the change)."""
        if self._by_detector is None:
            return
        self._by_workflow.get(workflow_id, set()).discard(detector_id)
        linked = self._by_detector.get(detector_id)
        if linked is not None:
            linked.discard(workflow_id)
            if not linked:
                del self._by_detector[detector_id]

    def drop_workflow(self, workflow_id: int) -> None:
        """The workflow was deleted (or is about to be re-linked)."""
        if self._by_detector is None:
            return
        for detector_id in self._by_workflow.pop(workflow_id, set()):
            linked = self._by_detector.get(detector_id)
            if linked is not None:
                linked.discard(workflow_id)
                if not linked:
                    del self._by_detector[detector_id]


__all__ = ["WorkflowLinks", "link_ids"]
