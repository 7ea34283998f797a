"""The fault matrix (issue 12): every fault the emulator injects, crossed with every operation,
on both backends, each cell measured the same way.

A cell: a fresh emulator; a bystander policy applied (its alerts must never change) and, for
updates, deletes and saved plans, the policy applied first; then the fault is switched on and
the operation runs through the same functions the CLI runs (plan_policy, apply_and_report,
prepare_saved_plan). Recorded: the outcome while the fault is on (converged, or the first
words of its one-paragraph error), whether one more apply without the fault converges to a
plan with no changes, duplicates (alerts sharing one managed key), bystander alerts touched,
and deletes sent after an incomplete listing.

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

from sentry_alerts.errors import SentryAlertsError

FAST = {"uncertain_settle": 0.05, "poll_interval": 0.05, "task_deadline": 3.0,
        "retry_budget": 1.0, "command_timeout": 30.0}
BACKENDS = {"monitors": ("saas-2026", "detectors"), "alert-rules": ("self-hosted-25", "alert_rules")}
OPERATIONS = ("plan", "apply creates", "apply updates", "apply deletes (--prune)",
              "apply saved plan")
CHANNEL = '{channel: "#ops-alerts", channel_id: C0OPS00001}'


def policy_text(name: str, count: int, critical: str = "750ms") -> str:
    txs = "".join(f"""
  - transaction: GET /api/{name}-{i}
    sla: {{p95: 500ms}}
    alert: {{critical: {critical}}}
""" for i in range(count))
    return (f"version: 1\nname: {name}\norganization: acme\ndefaults:\n  project: backend\n"
            f"  environment: production\n  notify:\n    - slack: {CHANNEL}\ntransactions:{txs}")


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

    @property
    def sound(self) -> bool:
        return (self.recovered and not self.duplicates and not self.bystanders_touched
                and not self.deletes_after_incomplete)


def _route(kind: str, operation: str) -> str:
    verb = {"plan": "list", "apply creates": "create", "apply updates": "update",
            "apply deletes (--prune)": "delete", "apply saved plan": "update"}[operation]
    return f"{kind}.{verb}"


# Each fault: (emulator, the operation's main route, the list route) -> switched on.
FAULTS: dict[str, Callable[[Any, str, str], Any]] = {
    "latency 0.2 s": lambda emu, route, lst: emu.faults.latency(0.2, times=None),
    "5xx burst": lambda emu, route, lst: emu.faults.error_burst(3, route=route),
    "429 storm": lambda emu, route, lst: emu.faults.rate_limit_storm(4, route=route),
    "410 brownout": lambda emu, route, lst: emu.faults.brownout(1, route=route),
    "connection reset": lambda emu, route, lst: emu.faults.reset(1, route=route),
    "answer lost after commit": lambda emu, route, lst: emu.faults.drop_after_commit(
        1, route=route),
    "failing list page": lambda emu, route, lst: emu.faults.failing_page(1, route=lst,
                                                                         times=None),
    "Sentry down": lambda emu, route, lst: emu.faults.error_burst(10_000, status=503),
    "lost answer + failing page": lambda emu, route, lst: (
        emu.faults.drop_after_commit(1, route=route),
        emu.faults.failing_page(1, route=lst, times=None)),
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
    cell = Cell(backend, fault, operation)
    with run_emulator(profile=profile, slack_task_delay=0.05) as emu, \
            tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, bystander = folder / "matrix.yaml", folder / "bystander.yaml"
        bystander.write_text(policy_text("bystander", 2))
        options = {"token": ALERTS_TOKEN, "url": emu.url, "org": "acme", "backend": backend,
                   "connect_options": FAST}

        def apply(policy: Path, prune: bool = False) -> tuple[bool, str]:
            try:
                planned = plan_policy(str(policy), prune=prune, **options)
                if not planned.plan.listing_complete:
                    return False, "incomplete listing: nothing applied"
                out = io.StringIO()
                result = apply_and_report(planned.plan, planned.connection.backend, out=out,
                                          err=io.StringIO(), parallelism=4)
                return result.ok, out.getvalue().strip().splitlines()[-1]
            except SentryAlertsError as exc:
                return False, exc.message

        apply(bystander)
        before = _snapshot(emu, "bystander")
        path.write_text(policy_text("matrix", 3))
        prune = operation == "apply deletes (--prune)"
        saved = folder / "plan.json"
        if operation != "apply creates":
            apply(path)
        if operation in ("apply updates", "apply saved plan", "plan"):
            path.write_text(policy_text("matrix", 3, critical="900ms"))
        if prune:
            path.write_text(policy_text("matrix", 1))
        if operation == "apply saved plan":
            save_plan(plan_policy(str(path), **options).plan, saved)
        emu.request_log.clear()
        FAULTS[fault](emu, _route(kind, operation), f"{kind}.list")
        started = time.monotonic()
        try:
            if operation == "plan":
                planned = plan_policy(str(path), **options)
                ok = planned.plan.listing_complete
                cell.outcome = "planned" if ok else "error: incomplete listing"
            elif operation == "apply saved plan":
                planned = prepare_saved_plan(saved, **options)
                out = io.StringIO()
                result = apply_and_report(planned.plan, planned.connection.backend, out=out,
                                          err=io.StringIO(), parallelism=4)
                cell.outcome = "converged" if result.ok else "error: " + \
                    out.getvalue().strip().splitlines()[-1]
            else:
                ok, text = apply(path, prune=prune)
                cell.outcome = "converged" if ok else "error: " + text
        except SentryAlertsError as exc:
            cell.outcome = "error: " + exc.message
        took = time.monotonic() - started
        incomplete = any(words in cell.outcome for words in (
            "incomplete listing", "was incomplete", "stopped after", "Sentry answered 500 to GET",
            "Sentry answered 503 to GET"))
        deletes = [c for c in emu.request_log if c[0] == "DELETE" and c[2] < 300]
        cell.deletes_after_incomplete = len(deletes) if incomplete else 0
        emu.faults.clear()
        apply(path, prune=prune)
        try:
            final = plan_policy(str(path), prune=prune, **options).plan
            cell.recovered = not final.has_changes and final.listing_complete
        except SentryAlertsError:
            cell.recovered = False
        cell.duplicates = sum(n - 1 for n in _keys(emu, "matrix").values() if n > 1)
        cell.bystanders_touched = int(_snapshot(emu, "bystander") != before)
        cell.outcome = f"{_short(cell.outcome)} ({took:.1f} s)"
    return cell


def _short(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "…"


def run_matrix(cells: list[tuple[str, str, str]] | None = None) -> list[Cell]:
    wanted = cells or [(b, f, o) for b in BACKENDS for f in FAULTS for o in OPERATIONS]
    return [run_cell(*c) for c in wanted]


def render(cells: list[Cell]) -> str:
    lines = ["| backend | fault | operation | while the fault is on | recovers | duplicates "
             "| bystanders touched | deletes after incomplete listing |",
             "|---|---|---|---|---|---|---|---|"]
    for c in cells:
        lines.append(f"| {c.backend} | {c.fault} | {c.operation} | {c.outcome} | "
                     f"{'yes' if c.recovered else '**no**'} | {c.duplicates} | "
                     f"{c.bystanders_touched} | {c.deletes_after_incomplete} |")
    sound = sum(c.sound for c in cells)
    lines.append("")
    lines.append(f"{sound} of {len(cells)} cells recover with no duplicate, no bystander "
                 "touched and no delete after an incomplete listing.")
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
