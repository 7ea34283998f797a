"""The fault matrix (issue 12): every fault the emulator injects, crossed with every operation,
on both backends, each cell measured the same way.

A cell: a fresh emulator; a bystander policy applied (its alerts must never change) and, for
updates, deletes and saved plans, the policy applied first; then the fault is switched on and
the operation runs through the same functions the CLI runs (plan_policy, apply_and_report,
prepare_saved_plan). Some faults happen between the plan and the apply (a person's edit or
deletion in Sentry's UI) or during the apply (Sentry dying after the first change):
fault_matrix_events.py. Recorded: the outcome while the fault is on (converged, or the first
words of its one-paragraph error), whether one more apply without the fault converges to a
plan with no changes, duplicates (alerts sharing one managed key), bystander alerts touched,
deletes sent after an incomplete listing, and hand edits overwritten without a word.

`python -m sentry_alerts.emulator.fault_matrix` prints the table (Markdown);
`--write docs/reliability.md` replaces the table there (`make reliability`).
tests/test_fault_matrix.py runs every fault and every operation in the suite.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentry_alerts.emulator.fault_matrix_events import (
    delete_by_hand,
    dies_after_the_first_write,
    edit_by_hand,
    hand_edit_survives,
    lists_fail_after_the_first_write,
)
from sentry_alerts.errors import SentryAlertsError

FAST = {"uncertain_settle": 0.05, "poll_interval": 0.05, "task_deadline": 0.5,
        "retry_budget": 0.5, "command_timeout": 30.0}
BACKENDS = {"monitors": ("saas-2026", "detectors"), "alert-rules": ("self-hosted-25", "alert_rules")}
OPERATIONS = ("plan", "apply creates", "apply updates", "apply deletes (--prune)",
              "apply saved plan")
CHANNEL = '{channel: "#ops-alerts", channel_id: C0OPS00001}'


# A channel named without its id: the legacy API looks it up asynchronously (202 and a task).
BY_NAME = '"#backend"'


def policy_text(name: str, count: int, critical: str = "750ms", channel: str = CHANNEL) -> str:
    txs = "".join(f"""
  - transaction: GET /api/{name}-{i}
    sla: {{p95: 500ms}}
    alert: {{critical: {critical}}}
""" for i in range(count))
    return (f"version: 1\nname: {name}\norganization: acme\ndefaults:\n  project: backend\n"
            f"  environment: production\n  notify:\n    - slack: {channel}\ntransactions:{txs}")


@dataclass
class Cell:
    backend: str
    fault: str
    operation: str
    outcome: str = ""
    recovered: bool = False
    duplicates: int = 0
    bystanders_touched: int = 0
    deletes_after_incomplete: int = 0
    overwritten_unseen: int = 0  # a hand edit overwritten without the outcome saying so

    @property
    def sound(self) -> bool:
        return (self.recovered and not self.duplicates and not self.bystanders_touched
                and not self.deletes_after_incomplete and not self.overwritten_unseen)


def _route(kind: str, operation: str) -> str:
    verb = {"plan": "list", "apply creates": "create", "apply updates": "update",
            "apply deletes (--prune)": "delete", "apply saved plan": "update"}[operation]
    return f"{kind}.{verb}"


@dataclass(frozen=True)
class MatrixFault:
    """How one fault of the matrix happens. `switch_on(emu, the operation's main route, the
    list route)` before the operation; `between(emu, plan, seen)` after the plan and before
    the apply (for a saved plan: before `apply FILE`); `during(emu, planned, seen)` just
    before the apply sends its changes. `backends` it exists on; `channel` is the Slack
    target of the operation's policy."""

    switch_on: Callable[[Any, str, str], Any] | None = None
    between: Callable[[Any, Any, dict], Any] | None = None
    during: Callable[[Any, Any, dict], Any] | None = None
    backends: tuple[str, ...] = tuple(BACKENDS)
    channel: str = CHANNEL


FAULTS: dict[str, MatrixFault] = {
    "latency 0.2 s": MatrixFault(lambda emu, route, lst: emu.faults.latency(0.2, times=None)),
    "5xx burst": MatrixFault(lambda emu, route, lst: emu.faults.error_burst(3, route=route)),
    "429 storm": MatrixFault(lambda emu, route, lst: emu.faults.rate_limit_storm(4,
                                                                                route=route)),
    "410 brownout": MatrixFault(lambda emu, route, lst: emu.faults.brownout(1, route=route)),
    "connection reset": MatrixFault(lambda emu, route, lst: emu.faults.reset(1, route=route)),
    "answer lost after commit": MatrixFault(
        lambda emu, route, lst: emu.faults.drop_after_commit(1, route=route)),
    "failing list page": MatrixFault(
        lambda emu, route, lst: emu.faults.failing_page(1, route=lst, times=None)),
    "Sentry down": MatrixFault(
        lambda emu, route, lst: emu.faults.error_burst(10_000, status=503)),
    # The plan lists fine; the first change's answer is lost, and from then on every listing
    # (the lookup before sending it again, the check afterwards) fails.
    "lost answer + failing page": MatrixFault(
        lambda emu, route, lst: emu.faults.drop_after_commit(1, route=route),
        during=lists_fail_after_the_first_write),
    "Sentry dies mid-apply": MatrixFault(during=dies_after_the_first_write),
    "Slack lookup fails": MatrixFault(
        lambda emu, route, lst: emu.faults.slack_lookup_fails(None, route="alert_rules.*"),
        backends=("alert-rules",), channel=BY_NAME),
    "Slack lookup never finishes": MatrixFault(
        lambda emu, route, lst: emu.faults.slack_lookup_stuck(None, route="alert_rules.*"),
        backends=("alert-rules",), channel=BY_NAME),
    "edited by hand after the plan": MatrixFault(between=edit_by_hand),
    "deleted by hand after the plan": MatrixFault(between=delete_by_hand),
}


def _keys(emu: Any, policy: str) -> Counter:
    from sentry_alerts.demo import managed_objects
    from sentry_alerts.model import Marker

    found: Counter = Counter()
    for _, _, item in managed_objects(emu, "acme", policy):
        marker = Marker.find(item.get("description"))
        if marker:
            found[marker.key] += 1
    return found


def _snapshot(emu: Any, policy: str) -> str:
    from sentry_alerts.demo import managed_objects

    return json.dumps(managed_objects(emu, "acme", policy), sort_keys=True, default=str)


def run_cell(backend: str, fault: str, operation: str) -> Cell:
    from sentry_alerts.emulator import ALERTS_TOKEN, run_emulator
    from sentry_alerts.plan import plan_policy
    from sentry_alerts.saved_plan import prepare_saved_plan, save_plan
    from sentry_alerts.terminal import apply_and_report

    profile, kind = BACKENDS[backend]
    how = FAULTS[fault]
    cell = Cell(backend, fault, operation)
    seen: dict[str, Any] = {}  # what the fault did (fault_matrix_events.py)
    with run_emulator(profile=profile, slack_task_delay=0.05) as emu, \
            tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, bystander = folder / "matrix.yaml", folder / "bystander.yaml"
        bystander.write_text(policy_text("bystander", 2))
        options = {"token": ALERTS_TOKEN, "url": emu.url, "org": "acme", "backend": backend,
                   "connect_options": FAST}

        def send(planned: Any) -> tuple[bool, str]:
            """Apply a plan as the CLI does: (all done, the report's text)."""
            if how.during and faulty:
                how.during(emu, planned, seen)
            out = io.StringIO()
            result = apply_and_report(planned.plan, planned.connection.backend, out=out,
                                      err=io.StringIO(), parallelism=4)
            return result.ok, out.getvalue().strip()

        def apply(policy: Path, prune: bool = False) -> tuple[bool, str]:
            try:
                planned = plan_policy(str(policy), prune=prune, **options)
                if not planned.plan.listing_complete:
                    return False, "incomplete listing: nothing applied"
                if how.between and faulty:
                    how.between(emu, planned.plan, seen)
                return send(planned)
            except SentryAlertsError as exc:
                return False, exc.message

        faulty = False
        apply(bystander)
        before = _snapshot(emu, "bystander")
        prune = operation == "apply deletes (--prune)"
        path.write_text(policy_text("matrix", 3, channel=how.channel))
        if operation != "apply creates":
            path.write_text(policy_text("matrix", 3))
            apply(path)
            critical = "750ms" if prune else "900ms"
            path.write_text(policy_text("matrix", 1 if prune else 3, critical, how.channel))
        saved = folder / "plan.json"
        if operation == "apply saved plan":
            made = plan_policy(str(path), **options).plan
            save_plan(made, saved)
        emu.request_log.clear()
        faulty = True
        if how.switch_on:
            how.switch_on(emu, _route(kind, operation), f"{kind}.list")
        started = time.monotonic()
        report = ""
        try:
            if operation == "plan":
                planned = plan_policy(str(path), **options)
                if how.between:
                    how.between(emu, planned.plan, seen)
                ok = planned.plan.listing_complete
                cell.outcome = "planned" if ok else "error: incomplete listing"
            elif operation == "apply saved plan":
                if how.between:
                    how.between(emu, made, seen)
                ok, report = send(prepare_saved_plan(saved, **options))
            else:
                ok, report = apply(path, prune=prune)
            if operation != "plan":
                cell.outcome = "converged" if ok else "error: " + _first_problem(report)
        except SentryAlertsError as exc:
            cell.outcome = "error: " + exc.message
        took = time.monotonic() - started
        faulty = False
        incomplete = any(words in cell.outcome for words in (
            "incomplete listing", "was incomplete", "stopped after", "Sentry answered 500 to GET",
            "Sentry answered 503 to GET"))
        cell.deletes_after_incomplete = _deletes_after_a_failed_listing(
            list(emu.request_log)) if incomplete else 0
        emu.faults.clear()
        if "edited" in seen and not hand_edit_survives(emu, seen["edited"]):
            said = "changed in Sentry since" in report or "stale" in cell.outcome
            cell.overwritten_unseen = int(not said)
        apply(path, prune=prune)
        try:
            final = plan_policy(str(path), prune=prune, **options).plan
            cell.recovered = not final.has_changes and final.listing_complete
        except SentryAlertsError:
            cell.recovered = False
        cell.duplicates = sum(n - 1 for n in _keys(emu, "matrix").values() if n > 1)
        cell.bystanders_touched = int(_snapshot(emu, "bystander") != before)
        outcome = cell.outcome.replace(f"{folder}/", "")  # the same text run after run
        cell.outcome = f"{_short(outcome)} ({took:.1f} s)"
    return cell


def _deletes_after_a_failed_listing(log: list[tuple[str, str, int]]) -> int:
    """DELETEs Sentry took (or may have: no answer) after the first list request that failed;
    a delete sent before the listing that failed (Sentry dying afterwards) does not count."""
    lists = ("/alert-rules/", "/detectors/", "/workflows/")
    failed = next((i for i, (method, path, status) in enumerate(log) if method == "GET"
                   and path.endswith(lists) and (status == 0 or status >= 500)), None)
    if failed is None:
        return 0
    return sum(1 for method, _, status in log[failed + 1:] if method == "DELETE" and status < 300)


def _first_problem(report: str) -> str:
    """An apply's summary (its first sentence) and the first failure's reason, or the error."""
    lines = report.strip().splitlines() or ["no report"]
    reasons = [line.split(": failed: ", 1)[1] for line in lines
               if line.startswith("✗") and ": failed: " in line]
    # The cause, rather than the changes not sent because of it.
    failed = next((r for r in reasons if not r.startswith("not sent:")), None) or \
        next(iter(reasons), None)
    summary = lines[-1].split(". ")[0].removeprefix("Apply incomplete: ")
    return summary + (f": {failed}" if failed and failed not in summary else "")


def _short(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "…"


def all_cells() -> list[tuple[str, str, str]]:
    """Every (backend, fault, operation) the matrix measures: each fault on its backends."""
    return [(b, f, o) for b in BACKENDS for f in FAULTS if b in FAULTS[f].backends
            for o in OPERATIONS]


def run_matrix(cells: list[tuple[str, str, str]] | None = None) -> list[Cell]:
    return [run_cell(*c) for c in cells or all_cells()]


def render(cells: list[Cell]) -> str:
    lines = ["| backend | fault | operation | while the fault is on | recovers | duplicates "
             "| bystanders touched | deletes after incomplete listing | edits overwritten "
             "unseen |", "|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        lines.append(f"| {c.backend} | {c.fault} | {c.operation} | {c.outcome} | "
                     f"{'yes' if c.recovered else '**no**'} | {c.duplicates} | "
                     f"{c.bystanders_touched} | {c.deletes_after_incomplete} | "
                     f"{c.overwritten_unseen} |")
    sound = sum(c.sound for c in cells)
    lines.append("")
    lines.append(f"{sound} of {len(cells)} cells recover with no duplicate, no bystander "
                 "touched, no delete after an incomplete listing and no hand edit overwritten "
                 "unseen.")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- fault-matrix:begin -->", "<!-- fault-matrix:end -->"


def main(argv: list[str]) -> int:
    import logging

    logging.getLogger("sentry_alerts").addHandler(logging.NullHandler())  # retries: expected
    logging.getLogger("sentry_alerts").propagate = False
    table = render(run_matrix())
    if len(argv) == 2 and argv[0] == "--write":
        doc = Path(argv[1])
        text = doc.read_text(encoding="utf-8")
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        doc.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")
    else:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
