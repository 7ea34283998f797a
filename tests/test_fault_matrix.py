"""The fault matrix in the suite (issue 12; docs/reliability.md): every fault the emulator
injects and every operation, on both backends. The full cross product is what
`make reliability` writes into docs/reliability.md (130 cells, about two minutes); here each
fault runs once, to keep `make test` fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_alerts.emulator.fault_matrix import (
    BACKENDS,
    BEGIN,
    END,
    FAULTS,
    OPERATIONS,
    all_cells,
    run_cell,
)

# The first eight faults on alternating backends, paired with the operations in turn: every
# operation and both backends (about 10 s). The others where they bite, cheaply: a lost
# answer where a listing must settle it (a create), a Slack lookup where one runs, a person's
# edit or deletion where apply would otherwise act on it.
ROTATED = list(FAULTS)[:8]
CELLS = [(list(BACKENDS)[i % len(BACKENDS)], fault, OPERATIONS[i % len(OPERATIONS)])
         for i, fault in enumerate(ROTATED)] + [
    ("alert-rules", "lost answer + failing page", "apply creates"),
    ("alert-rules", "Sentry dies mid-apply", "apply updates"),
    ("alert-rules", "Slack lookup fails", "apply creates"),
    ("alert-rules", "Slack lookup never finishes", "apply saved plan"),
    ("monitors", "edited by hand after the plan", "apply deletes (--prune)"),
    ("alert-rules", "deleted by hand after the plan", "apply updates"),
]
# What the outcome must say for these cells: the fault bit, and the reason is the real one.
SAYS = {"edited by hand after the plan": "changed in Sentry since the plan",
        "deleted by hand after the plan": "deleted in Sentry since the plan",
        "Slack lookup fails": "Sentry could not save alert",
        "Slack lookup never finishes": "Sentry was still looking up Slack channel",
        "Sentry dies mid-apply": "1 updated, 0 deleted; 2 failed: Sentry answered 503",
        "lost answer + failing page": "2 created, 0 updated, 0 deleted; 1 failed: Sentry "
                                      "answered 500 to GET"}


@pytest.mark.parametrize("backend,fault,operation", CELLS,
                         ids=[f"{b}|{f}|{o}" for b, f, o in CELLS])
def test_every_fault_recovers_without_duplicates_or_collateral(backend, fault, operation):
    cell = run_cell(backend, fault, operation)
    assert cell.outcome.startswith(("converged", "planned", "error: ")), cell
    assert "Traceback" not in cell.outcome and "bug" not in cell.outcome.lower()
    assert cell.recovered, f"a run without the fault did not converge: {cell}"
    assert cell.duplicates == 0, cell
    assert cell.bystanders_touched == 0, cell
    assert cell.deletes_after_incomplete == 0, cell
    assert cell.overwritten_unseen == 0, cell
    assert SAYS.get(fault, "") in cell.outcome, cell


def test_every_fault_operation_and_backend_is_covered():
    assert {f for _, f, _ in CELLS} == set(FAULTS)
    assert {o for _, _, o in CELLS} == set(OPERATIONS)
    assert {b for b, _, _ in CELLS} == set(BACKENDS)


def test_the_published_matrix_is_generated_and_sound():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    table = doc.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) - 1 == len(all_cells())
    for backend, fault, operation in all_cells():
        assert f"| {backend} | {fault} | {operation} |" in table, (backend, fault, operation)
    assert "**no**" not in table
    assert "python -m sentry_alerts.emulator.fault_matrix --write docs/reliability.md" in doc
