"""The fault matrix in the suite (issue 12; docs/reliability.md): every fault the emulator
injects and every operation, on both backends. The full cross product is what
`make reliability` writes into docs/reliability.md (about 90 cells, a minute or two); here each
fault runs once per backend, paired with the operations in turn so every operation is covered,
to keep `make test` fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_alerts.emulator.fault_matrix import BACKENDS, BEGIN, END, FAULTS, OPERATIONS, run_cell

CELLS = [(backend, fault, OPERATIONS[(i + j) % len(OPERATIONS)])
         for j, backend in enumerate(BACKENDS) for i, fault in enumerate(FAULTS)]


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


def test_every_operation_is_covered_on_both_backends():
    for backend in BACKENDS:
        assert {o for b, _, o in CELLS if b == backend} == set(OPERATIONS)


def test_the_published_matrix_is_generated_and_sound():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    table = doc.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) - 1 == len(BACKENDS) * len(FAULTS) * len(OPERATIONS)
    assert "**no**" not in table
    assert "python -m sentry_alerts.emulator.fault_matrix --write docs/reliability.md" in doc
