"""`sentry-alerts import`: connect, read, decide, write, and prove the file first.

The proof is what makes the promise hold: the text is checked as `validate --strict` checks it
(any finding moves its entry to the comments), then each policy entry is materialised exactly
as `plan` does it and compared with its live alert field by field; any difference but the
description (where adoption writes the ownership marker) moves it to the comments too, naming
the field. Repeated until nothing moves, so `plan FILE --adopt` shows only adoptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.importer.entries import (
    Entry,
    Skipped,
    assign_keys,
    decide,
    policy_dataset,
    shared_workflows,
)
from sentry_alerts.importer.read import Reading, read_org, ui_base
from sentry_alerts.importer.yaml_out import Rendered, render_policy
from sentry_alerts.output_files import write_output

_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def policy_name_for(name: str | None, out: Path | None, org: str) -> str:
    """--name, else the output file's name (`policies/checkout.yaml` -> checkout), else
    `<org>-alerts`. It is part of the ownership marker adoption writes into each alert."""
    chosen = name if name is not None else (out.stem if out is not None else f"{org}-alerts")
    if name is None:
        chosen = re.sub(r"[^A-Za-z0-9._-]+", "-", chosen).strip("-")[:64] or f"{org}-alerts"
    if not _NAME_RE.match(chosen):
        raise SentryAlertsError(
            f"--name {chosen!r} cannot be a policy name: use 1-64 letters, digits, `.`, `_` or "
            "`-` (it becomes part of the ownership marker on every alert the policy manages).")
    return chosen


def run_import(*, org: str | None, projects: Sequence[str], backend: str, out: Path | None,
               name: str | None, token: str | None, url: str, insecure: bool, force: bool,
               stdout: TextIO, stderr: TextIO, connect_options: dict[str, Any] | None = None
               ) -> int:
    from sentry_alerts.sentry.connect import connect

    org = (org or "").strip()
    if not org:
        raise SentryAlertsError("no Sentry organization to import from: pass --org SLUG or set "
                                "SENTRY_ORG.")
    policy_name = policy_name_for(name, out, org)
    if out is not None and out.exists() and not force:
        raise SentryAlertsError(f"{out} exists; import writes a new policy file: choose another "
                                "--out, or pass --force to overwrite it.")

    def say(message: str) -> None:
        stderr.write(message + "\n")

    connection = connect(url=url, token=token, org=org, backend=backend, insecure=insecure,
                         progress=say, **(connect_options or {}))
    known = connection.directory.projects()
    unknown = [p for p in projects if p not in known]
    if unknown:
        raise SentryAlertsError(
            f"--project {', '.join(map(repr, unknown))}: no such project in organization {org} "
            f"(or the token cannot see it); projects there: {', '.join(sorted(known)) or 'none'}.")
    reading = read_org(connection, projects, ui_base(url))
    entries, skipped = decide(reading, policy_name, connection.directory.teams())
    several = len(connection.directory.slack_workspaces()) > 1
    rendered, entries, skipped = prove(reading, policy_name, entries, skipped, connection,
                                       several_workspaces=several, out=out)
    if not entries:
        raise SentryAlertsError(_nothing_imported(reading, skipped))
    if out is None:
        stdout.write(rendered.text)
    else:
        write_output(out, rendered.text)
    where = str(out) if out is not None else "the policy above"
    shown = str(out) if out is not None else "FILE"
    say(f"Imported {_count(len(entries))} into {where}"
        + (f"; {_count(len(skipped))} it cannot express are listed at the end as comments, "
           "with the reason" if skipped else "")
        + f". Next: sentry-alerts validate --strict {shown}, then sentry-alerts plan {shown} "
          "--adopt (it shows only adoptions), then sentry-alerts apply "
          f"{shown} --adopt{_backend_flag(reading)}.")
    return 0


def prove(reading: Reading, policy_name: str, entries: list[Entry], skipped: list[Skipped],
          connection: Any, *, several_workspaces: bool, out: Path | None
          ) -> tuple[Rendered, list[Entry], list[Skipped]]:
    """Render, check, materialise and compare until no entry has to move to the comments."""
    from sentry_alerts.diff import FIELD_LABELS, field_changes
    from sentry_alerts.policy.loader import check_bytes

    filename = str(out) if out is not None else "<import>"
    while True:
        entries, shared = shared_workflows(entries)
        skipped = skipped + shared
        assign_keys(entries)
        dataset = policy_dataset(entries)
        rendered = render_policy(
            name=policy_name, org=reading.org, dataset=dataset, entries=entries,
            skipped=skipped, header=_header(reading, len(entries), len(skipped), out),
            several_workspaces=several_workspaces)
        if not entries:
            return rendered, entries, skipped
        result = check_bytes(rendered.text.encode("utf-8"), filename)
        moved = _move_findings(result.diagnostics, rendered, entries)
        if not moved and result.policy is not None:
            backend = connection.backend
            choice = backend.choose_dataset(result.policy.dataset)
            by_key = {e.key: e for e in entries}
            for spec in result.policy.specs:
                entry = by_key[spec.key]
                try:
                    desired = backend.materialize(spec, choice.dataset)
                except SentryAlertsError as exc:
                    moved[entry.key] = [exc.message]
                    continue
                diffs = [f for f in field_changes(desired, entry.alert)
                         if f.field != "description"]
                if diffs:
                    moved[entry.key] = ["the policy would not reproduce it exactly: " + "; ".join(
                        f"{FIELD_LABELS.get(f.field, f.field)} {f.old} → {f.new}"
                        for f in diffs)]
        if not moved:
            return rendered, entries, skipped
        skipped = skipped + [Skipped(e.live, moved[e.key]) for e in entries if e.key in moved]
        entries = [e for e in entries if e.key not in moved]


def _move_findings(diagnostics: Sequence[Any], rendered: Rendered,
                   entries: list[Entry]) -> dict[str, list[str]]:
    """validate --strict's findings, by the entry whose lines they point at."""
    moved: dict[str, list[str]] = {}
    for d in diagnostics:
        key = next((k for k, (first, last) in rendered.spans.items() if first <= d.line <= last),
                   None)
        if key is None:
            raise SentryAlertsError(
                f"sentry-alerts wrote a policy that validate refuses ({d.format()}); this is a "
                "bug in sentry-alerts, please report it with the command you ran. Nothing was "
                "written.")
        moved.setdefault(key, []).append(f"validate --strict: {d.message} [{d.code}]")
    return moved


def _header(reading: Reading, imported: int, skipped: int, out: Path | None) -> list[str]:
    shown = str(out) if out is not None else "FILE"
    flag = _backend_flag(reading)
    lines = [f"Written by `sentry-alerts import` from organization {reading.org} at "
             f"{reading.ui_url}, through {reading.backend_reason}.",
             f"It reproduces {_count(imported)}"
             + (f"; the {_count(skipped)} it cannot express are listed at the end, with the "
                "reason" if skipped else "") + "."]
    if reading.migrated:
        lines.append(f"{_count(reading.migrated, 'legacy alert rule')} Sentry migrated to "
                     "monitors are the same alerts as their monitors, and imported once.")
    lines += ["Take the alerts over (the ownership marker is written into each; ids, history "
              "and open issues stay):",
              f"  sentry-alerts validate --strict {shown}",
              f"  sentry-alerts plan {shown} --adopt{flag}",
              f"  sentry-alerts apply {shown} --adopt{flag}", ""]
    return lines


def _backend_flag(reading: Reading) -> str:
    """Planning must use the API the alerts were read from; `auto` picks it again."""
    return "" if reading.backend_reason.endswith("(auto)") else f" --backend {reading.backend}"


def _nothing_imported(reading: Reading, skipped: Sequence[Skipped]) -> str:
    if not skipped:
        return (f"organization {reading.org} has no alerts to import through "
                f"{reading.backend_reason}; nothing was written.")
    shown = "; ".join(f"{s.live.alert.name.strip()!r} ({s.live.where}): {s.reasons[0]}"
                      for s in skipped[:3])
    more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    which = ("the only alert" if len(skipped) == 1 else f"none of the {len(skipped)} alerts")
    verb = "cannot" if len(skipped) == 1 else "can"
    return (f"{which} of organization {reading.org} {verb} be expressed as a policy, so "
            f"nothing was written: {shown}{more}.")


def _count(n: int, what: str = "alert") -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


__all__ = ["policy_name_for", "prove", "run_import"]
