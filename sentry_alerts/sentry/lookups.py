"""The org's directory: projects, teams, users, Slack workspaces, environments.

Alerts name things by slug, email and channel name; Sentry's JSON uses ids. Each list is fetched
once per run (all pages, per_page=100) and cached, so a plan for 1,000 alerts costs a handful of
lookups, never one request per alert. Every miss is an error that lists what exists. Each list
has its own lock, so they can be fetched at the same time (`prefetch`, while alerts are listed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.sentry.client import SentryClient


class DirectoryError(SentryAlertsError):
    """A slug, email or workspace the policy names does not exist in the org."""


@dataclass(frozen=True)
class SlackWorkspace:
    integration_id: str
    name: str
    domain: str | None = None


def _listing(items: list[str], limit: int = 20) -> str:
    if not items:
        return "none"
    shown = sorted(items)[:limit]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


class Directory:
    """Cached id/slug lookups for one org."""

    def __init__(self, client: SentryClient, org: str) -> None:
        self.client = client
        self.org = org
        self._lock = threading.RLock()  # users and environments
        self._project_lock = threading.Lock()
        self._team_lock = threading.Lock()
        self._slack_lock = threading.Lock()
        self._projects: dict[str, str] | None = None  # slug -> id
        self._project_slugs: dict[str, str] = {}  # id -> slug
        self._teams: dict[str, str] | None = None  # slug -> id
        self._team_slugs: dict[str, str] = {}  # id -> slug
        self._users: dict[str, str] | None = None  # lower-cased email -> user id
        self._user_emails: dict[str, str] | None = None  # user id -> email as Sentry spells it
        self._slack: list[SlackWorkspace] | None = None
        self._environments: dict[str, list[str]] = {}

    # -- loading (each once per run) --

    def _all(self, path: str, params: dict | None = None, what: str | None = None) -> list[dict]:
        items: list[dict] = []
        for page in self.client.paginate(path, params, what=what):
            items.extend(i for i in page if isinstance(i, dict))
        return items

    def projects(self) -> dict[str, str]:
        with self._project_lock:
            if self._projects is None:
                items = self._all(f"/api/0/organizations/{self.org}/projects/",
                                  what=f"the list of projects of {self.org}")
                projects = {str(p["slug"]): str(p["id"]) for p in items if "slug" in p}
                self._project_slugs = {pid: slug for slug, pid in reversed(projects.items())}
                self._projects = projects
            return self._projects

    def teams(self) -> dict[str, str]:
        with self._team_lock:
            if self._teams is None:
                items = self._all(f"/api/0/organizations/{self.org}/teams/", {"detailed": "0"},
                                  what=f"the list of teams of {self.org}")
                teams = {str(t["slug"]): str(t["id"]) for t in items if "slug" in t}
                self._team_slugs = {tid: slug for slug, tid in reversed(teams.items())}
                self._teams = teams
            return self._teams

    def prefetch(self, *, teams: bool = False, users: bool = False,
                 slack: bool = False) -> list[Callable[[], object]]:
        """The loads to run ahead (e.g. in threads while alerts are listed): only those the
        caller will need anyway, so the number of requests stays the same."""
        wanted: Iterable[tuple[bool, Callable[[], object]]] = (
            (teams, self.teams), (users, self._load_users_locked), (slack, self.slack_workspaces))
        return [load for needed, load in wanted if needed]

    def _load_users_locked(self) -> None:
        with self._lock:
            self._load_users()

    def _load_users(self) -> None:
        if self._users is not None:
            return
        items = self._all(f"/api/0/organizations/{self.org}/members/",
                          what=f"the list of members of {self.org}")
        users: dict[str, str] = {}
        emails: dict[str, str] = {}
        for member in items:
            user = member.get("user") or {}
            user_id = user.get("id")
            email = user.get("email") or member.get("email")
            if user_id is None or not email:
                continue  # an invitation that was not accepted yet has no user
            users[str(email).lower()] = str(user_id)
            emails[str(user_id)] = str(email)
        self._users, self._user_emails = users, emails

    def slack_workspaces(self) -> list[SlackWorkspace]:
        with self._slack_lock:
            if self._slack is None:
                items = self._all(f"/api/0/organizations/{self.org}/integrations/",
                                  {"providerKey": "slack", "includeConfig": "0"},
                                  what=f"the Slack integrations of {self.org}")
                self._slack = [
                    SlackWorkspace(str(i["id"]), str(i.get("name") or i["id"]), i.get("domainName"))
                    for i in items
                    if (i.get("provider") or {}).get("key", "slack") == "slack"
                    and i.get("status", "active") in ("active", None)
                ]
            return self._slack

    def environments(self, project: str) -> list[str]:
        with self._lock:
            if project not in self._environments:
                items = self._all(f"/api/0/projects/{self.org}/{project}/environments/",
                                  what=f"the environments of project {project}")
                self._environments[project] = [str(e["name"]) for e in items if "name" in e]
            return self._environments[project]

    # -- forward: policy names -> ids --

    def project_id(self, slug: str) -> str:
        projects = self.projects()
        if slug in projects:
            return projects[slug]
        raise DirectoryError(
            f"project {slug!r} does not exist in organization {self.org} (or the token cannot see "
            f"it); projects there: {_listing(list(projects))}. Fix the project in the policy.")

    def team_id(self, slug: str) -> str:
        teams = self.teams()
        slug = slug.lstrip("#")
        if slug in teams:
            return teams[slug]
        raise DirectoryError(
            f"team {slug!r} does not exist in organization {self.org}; teams there: "
            f"{_listing(list(teams))}. Fix the owner or email target in the policy.")

    def user_id(self, email: str) -> str:
        with self._lock:
            self._load_users()
            assert self._users is not None
            if email.lower() in self._users:
                return self._users[email.lower()]
            known = list(self._user_emails.values()) if self._user_emails else []
        raise DirectoryError(
            f"no member of organization {self.org} has the email {email!r}; members: "
            f"{_listing(known)}. Fix the owner or email target in the policy.")

    def member_emails(self) -> list[str]:
        """Every member's email, as Sentry spells it (for messages listing the choices)."""
        with self._lock:
            self._load_users()
            return sorted((self._user_emails or {}).values())

    def owner_ref(self, owner: str | None) -> str | None:
        """`team:<slug>` / `user:<email>` -> Sentry's `team:<id>` / `user:<id>`."""
        if not owner:
            return None
        kind, _, name = owner.partition(":")
        if kind == "team":
            return f"team:{self.team_id(name)}"
        if kind == "user":
            return f"user:{self.user_id(name)}"
        raise DirectoryError(f"owner {owner!r} must be team:<slug> or user:<email>.")

    def slack_workspace(self, name: str | None) -> SlackWorkspace:
        """The Slack integration by workspace name; None = the org's only one."""
        workspaces = self.slack_workspaces()
        names = [w.name for w in workspaces]
        if name is None:
            if len(workspaces) == 1:
                return workspaces[0]
            if not workspaces:
                raise DirectoryError(
                    f"organization {self.org} has no Slack integration, so Slack targets cannot "
                    "be delivered; install Slack in Sentry (Settings → Integrations) or remove the "
                    "Slack targets.")
            raise DirectoryError(
                f"organization {self.org} has {len(workspaces)} Slack workspaces "
                f"({_listing(names)}); say which one with `workspace:` on the Slack target.")
        matches = [w for w in workspaces if w.name == name] or \
                  [w for w in workspaces if w.name.lower() == name.lower()
                   or (w.domain or "").lower() in (name.lower(), f"{name.lower()}.slack.com")]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise DirectoryError(
                f"Slack workspace {name!r} is not installed in organization {self.org}; "
                f"installed: {_listing(names)}.")
        raise DirectoryError(
            f"Slack workspace name {name!r} matches {len(matches)} integrations in {self.org} "
            f"(ids {', '.join(w.integration_id for w in matches)}); rename one in Sentry.")

    # -- reverse: ids -> policy names (for live alerts) --

    def project_slug(self, project_id: str | int) -> str:
        self.projects()
        return self._project_slugs.get(str(project_id), str(project_id))

    def team_slug(self, team_id: str | int) -> str | None:
        self.teams()
        return self._team_slugs.get(str(team_id))

    def user_email(self, user_id: str | int) -> str | None:
        with self._lock:
            self._load_users()
            assert self._user_emails is not None
            return self._user_emails.get(str(user_id))

    def workspace_name(self, integration_id: str | int | None) -> str | None:
        if integration_id is None:
            return None
        for w in self.slack_workspaces():
            if w.integration_id == str(integration_id):
                return w.name
        return None

    def owner_from_ref(self, ref: str | dict | None) -> str | None:
        """Sentry's `team:<id>` / `user:<id>` (or `{type, id}`) -> `team:<slug>` / `user:<email>`.
        Unknown ids stay as ids so they still show as a difference."""
        if not ref:
            return None
        if isinstance(ref, dict):
            kind, ident = str(ref.get("type", "")), str(ref.get("id", ""))
        else:
            kind, _, ident = str(ref).partition(":")
            if not ident:  # a bare number is a user id
                kind, ident = "user", kind
        if kind == "team":
            return f"team:{self.team_slug(ident) or ident}"
        if kind == "user":
            return f"user:{self.user_email(ident) or ident}"
        return str(ref)
