"""Before a plan proposes anything: does everything the policy names exist in the org?

Projects (and that the token can see them), each project's environments, teams and members
named as owners or email targets, and Slack workspaces. Each is looked up once per run through
the `Directory` (a handful of requests, never one per alert). Every problem is collected, so a
policy with three wrong names fails once with three lines, each listing the valid choices, not
three times in a row; and nothing is created for a project that does not exist (Sentry would
answer a vague 404 per alert, and the monitors API would leave an empty workflow behind).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.model import AlertSpec, EmailTarget, SlackTarget
from sentry_alerts.sentry.lookups import Directory, DirectoryError

SHOWN_CHOICES = 20


class UnknownReferencesError(SentryAlertsError):
    """The policy names projects, environments, teams, members or Slack workspaces that the
    organization does not have (or the token cannot see)."""


@dataclass
class _Problem:
    text: str  # what is wrong and what exists instead
    lines: list[int] = field(default_factory=list)  # the transactions concerned, by line

    def where(self) -> str:
        shown = ", ".join(str(n) for n in self.lines[:10])
        more = f" and {len(self.lines) - 10} more" if len(self.lines) > 10 else ""
        return f"line{'s' if len(self.lines) > 1 else ''} {shown}{more}" if self.lines else ""


def _choices(names: Iterable[str]) -> str:
    names = sorted(names)
    if not names:
        return "none"
    more = f" and {len(names) - SHOWN_CHOICES} more" if len(names) > SHOWN_CHOICES else ""
    return ", ".join(names[:SHOWN_CHOICES]) + more


def _guess(name: str, names: Iterable[str]) -> str:
    names = list(names)
    starts = [n for n in names if n.startswith(name)]  # `prod` for `production`
    close = starts if len(starts) == 1 else difflib.get_close_matches(name, names, n=1,
                                                                      cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_references(specs: Iterable[AlertSpec], directory: Directory, *,
                     environments_for: Collection[str] | None = None) -> None:
    """Raise UnknownReferencesError listing every name the org does not have; None when all
    exist. Looks up only what the specs use.

    Environments cost one request per project, so `environments_for` (spec keys) limits them to
    the alerts about to be created or moved (None: every spec); when any other name is wrong,
    every environment is checked too, so one run reports every problem."""
    problems: dict[str, _Problem] = {}
    org = directory.org

    def problem(key: str, text: str, spec: AlertSpec) -> None:
        entry = problems.setdefault(key, _Problem(text))
        if spec.source and spec.source[1] not in entry.lines:
            entry.lines.append(spec.source[1])

    specs = list(specs)
    projects = directory.projects()
    for spec in specs:
        if spec.project not in projects:
            problem(f"project {spec.project}",
                    f"project {spec.project!r} does not exist in organization {org}, or the "
                    f"token cannot see it; projects there: {_choices(projects)}"
                    + _guess(spec.project, projects), spec)
        for kind, name in _people(spec):
            try:
                directory.team_id(name) if kind == "team" else directory.user_id(name)
            except DirectoryError:
                if kind == "team":
                    teams = directory.teams()
                    problem(f"team {name}", f"team {name!r} does not exist in organization "
                            f"{org}; teams there: {_choices(teams)}" + _guess(name, teams), spec)
                else:
                    emails = directory.member_emails()
                    problem(f"user {name}", f"no member of organization {org} has the email "
                            f"{name!r}; members: {_choices(emails)}", spec)
        for target in spec.targets:
            if isinstance(target, SlackTarget):
                try:
                    directory.slack_workspace(target.workspace)
                except DirectoryError as exc:
                    problem(f"slack {target.workspace}", exc.message.rstrip("."), spec)
    for spec in specs:
        if spec.project not in projects or spec.environment is None:
            continue
        if not problems and environments_for is not None and spec.key not in environments_for:
            continue
        environments = directory.environments(spec.project)
        if spec.environment not in environments:
            problem(f"environment {spec.project} {spec.environment}",
                    f"environment {spec.environment!r} does not exist in project "
                    f"{spec.project} (Sentry knows an environment once an event arrived "
                    f"with it); environments there: {_choices(environments)}"
                    + _guess(spec.environment, environments), spec)
    if problems:
        lines = [f"  - {p.text}" + (f" ({p.where()})" if p.lines else "")
                 for p in problems.values()]
        count = len(problems)
        policy = next((f"policy {s.source[0]}" for s in specs if s.source), "the policy")
        raise UnknownReferencesError(
            f"{policy} names {count} thing{'s' if count != 1 else ''} that organization {org} "
            f"does not have, so nothing was planned or changed; fix the policy (or --org) and "
            "run plan again:\n" + "\n".join(lines))


def _people(spec: AlertSpec) -> list[tuple[str, str]]:
    """(team|user, slug or email) of the owner and the email targets."""
    found: list[tuple[str, str]] = []
    if spec.owner:
        kind, _, name = spec.owner.partition(":")
        found.append((kind, name))
    found += [(t.to, t.name) for t in spec.targets if isinstance(t, EmailTarget)]
    return found


__all__ = ["UnknownReferencesError", "check_references"]
