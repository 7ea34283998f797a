"""The fault matrix in the suite (issue 12; docs/reliability.md): every fault the emulator
injects and every operation, on both backends. The full cross product is what
`make reliability` writes into docs/reliability.md (90 cells, about two minutes); here each
fault runs once, on alternating backends and paired with the operations in turn, to keep
`make test` fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_alerts.emulator.fault_matrix import BACKENDS, BEGIN, END, FAULTS, OPERATIONS, run_cell

# Each fault once, the backends alternating and the operations in turn: every fault, every
# operation and both backends in 9 cells (about 10 s); the full product is in the docs.
CELLS = [(list(BACKENDS)[i % len(BACKENDS)], fault, OPERATIONS[i % len(OPERATIONS)])
         for i, fault in enumerate(FAULTS)]


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


def test_every_fault_operation_and_backend_is_covered():
    assert {f for _, f, _ in CELLS} == set(FAULTS)
    assert {o for _, _, o in CELLS} == set(OPERATIONS)
    assert {b for b, _, _ in CELLS} == set(BACKENDS)


def test_the_published_matrix_is_generated_and_sound():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    table = doc.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) - 1 == len(BACKENDS) * len(FAULTS) * len(OPERATIONS)
    assert "**no**" not in table
    assert "python -m sentry_alerts.emulator.fault_matrix --write docs/reliability.md" in doc
