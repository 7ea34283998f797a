"""The emulator's mutable state: organizations, their projects/teams/members/Slack workspaces,
the stored alerts, tokens and id sequences.

All mutation happens under `Emulator.lock`. Stored alerts are plain JSON dicts keyed by int id:
`org.alert_rules` holds each rule in its detail-GET shape (see alert_rules_stored.py), and
`org.detectors` / `org.workflows` hold what detectors.py and workflows.py store
(monitors_store.py). That makes out-of-band edits
(what a person does in the UI) and state files simple: they are dict updates.

Ids: one `core.IdSequence` per kind, shared by all orgs, from `state.ids(kind)`. Kinds in use:
"org", "project", "team", "member", "user", "integration", "alert_rule", "trigger", "action",
"detector", "workflow", "data_source", "condition_group", "condition", "workflow_action" (any new
name just starts a new sequence at 1).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sentry_alerts.emulator.core import JSON, ApiError, IdSequence, not_found
from sentry_alerts.emulator.links import WorkflowLinks

# Every scope Sentry knows that the emulator checks somewhere.
ALL_SCOPES = frozenset({
    "org:read", "org:write", "org:admin", "org:integrations",
    "project:read", "project:write", "project:admin",
    "team:read", "team:write", "team:admin",
    "member:read", "member:write", "member:admin",
    "alerts:read", "alerts:write",
})


@dataclass
class SlackChannel:
    id: str  # "C…" (public) or "G…"/"C…" (private)
    name: str  # without '#'
    private: bool = False
    bot_invited: bool = True  # a private channel the bot is not in cannot be found


@dataclass
class SlackWorkspace:
    integration_id: int
    name: str
    domain: str  # e.g. "acme.slack.com"
    channels: list[SlackChannel] = field(default_factory=list)
    external_id: str = "T0ACME0001"  # Slack team id

    def find_channel(self, name_or_id: str | None) -> SlackChannel | None:
        """A channel by id, or by name with or without '#', case-insensitively. Private channels
        the bot was not invited to are invisible, as in Slack."""
        if not name_or_id:
            return None
        wanted = name_or_id.strip()
        bare = wanted.lstrip("#").lower()
        for channel in self.channels:
            if channel.private and not channel.bot_invited:
                continue
            if channel.id == wanted or channel.name.lower() == bare:
                return channel
        return None


@dataclass
class Project:
    id: int
    slug: str
    name: str
    environments: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)  # team slugs
    platform: str | None = "python"
    date_created: str = "2024-01-01T00:00:00.000000Z"


@dataclass
class Team:
    id: int
    slug: str
    name: str
    members: list[int] = field(default_factory=list)  # user ids
    date_created: str = "2024-01-01T00:00:00.000000Z"


@dataclass
class Member:
    id: int  # organization member id
    user_id: int  # the user's id (what alert owners use: "user:<user_id>")
    email: str
    name: str
    role: str = "member"  # owner | manager | admin | member


_Found = TypeVar("_Found", "Project", "Team")


def _by_slug_or_id(by_slug: dict[str, _Found], slug_or_id: str | int | None) -> _Found | None:
    """Sentry's URLs and bodies name projects and teams by slug or by numeric id."""
    if slug_or_id is None:
        return None
    key = str(slug_or_id)
    if key in by_slug:
        return by_slug[key]
    for item in by_slug.values():
        if str(item.id) == key:
            return item
    return None


@dataclass
class Organization:
    id: int
    slug: str
    name: str
    projects: dict[str, Project] = field(default_factory=dict)  # by slug
    teams: dict[str, Team] = field(default_factory=dict)  # by slug
    members: list[Member] = field(default_factory=list)
    slack: list[SlackWorkspace] = field(default_factory=list)
    alert_rules: dict[int, dict] = field(default_factory=dict)
    detectors: dict[int, dict] = field(default_factory=dict)
    workflows: dict[int, dict] = field(default_factory=dict)
    features: set[str] = field(default_factory=lambda: {"incidents"})
    date_created: str = "2024-01-01T00:00:00.000000Z"
    # "Open Membership" (Sentry's `allow_joinleave`, on by default): every member can access
    # every project, though lists without `project` still cover member projects only
    # (access.py).
    open_membership: bool = True
    # The plan's monitor quota (`workflow-engine-metric-detector-limit`); None = no limit.
    metric_detector_limit: int | None = None
    # Which workflows link to each detector: an index over `workflows` (links.py).
    links: WorkflowLinks = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.links = WorkflowLinks(self)

    def project(self, slug_or_id: str | int | None) -> Project | None:
        return _by_slug_or_id(self.projects, slug_or_id)

    def team(self, slug_or_id: str | int | None) -> Team | None:
        return _by_slug_or_id(self.teams, slug_or_id)

    def user(self, id_or_email: str | int | None) -> Member | None:
        """The member whose *user* id (or email, case-insensitive) this is."""
        if id_or_email is None:
            return None
        key = str(id_or_email).strip()
        for member in self.members:
            if str(member.user_id) == key or member.email.lower() == key.lower():
                return member
        return None

    def slack_workspace(self, integration_id: str | int | None) -> SlackWorkspace | None:
        for workspace in self.slack:
            if str(workspace.integration_id) == str(integration_id):
                return workspace
        return None

    def store(self, kind: str) -> dict[int, dict]:
        """The dict of stored objects of a kind: "alert_rule", "detector" or "workflow"."""
        stores = {"alert_rule": self.alert_rules, "detector": self.detectors,
                  "workflow": self.workflows}
        if kind not in stores:
            raise KeyError(f"unknown kind {kind!r}; use one of {sorted(stores)}")
        return stores[kind]


@dataclass
class Token:
    token: str  # the bearer secret (emulator-only, fake)
    scopes: frozenset[str]
    user_id: int | None = None
    name: str = ""


@dataclass
class SlackTask:
    """An async Slack lookup started by a 202 answer (slack_task.py fills it in)."""

    uuid: str
    org_slug: str
    project_slug: str
    status: str = "pending"  # pending | success | failed
    rule_id: int | None = None
    error: str | None = None


class EmulatorState:
    def __init__(self) -> None:
        self.orgs: dict[str, Organization] = {}  # by slug
        self.tokens: dict[str, Token] = {}  # by secret
        self.tasks: dict[str, SlackTask] = {}  # by uuid (in memory only, like Redis with a TTL)
        self._ids: dict[str, IdSequence] = {}
        self._ids_lock = threading.Lock()

    def ids(self, kind: str) -> IdSequence:
        """The shared id sequence of a kind (see the module docstring)."""
        with self._ids_lock:
            if kind not in self._ids:
                self._ids[kind] = IdSequence()
            return self._ids[kind]

    def org(self, slug_or_id: str | int) -> Organization:
        """The organization by slug or numeric id, or ApiError 404 (Sentry's body)."""
        key = str(slug_or_id)
        if key in self.orgs:
            return self.orgs[key]
        for org in self.orgs.values():
            if str(org.id) == key:
                return org
        raise not_found()

    def find_org(self, slug_or_id: str | int) -> Organization | None:
        try:
            return self.org(slug_or_id)
        except ApiError:
            return None

    # --- saving and loading (the --state file) ---

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "ids": {kind: seq.peek() for kind, seq in self._ids.items()},
            "tokens": [{"token": t.token, "scopes": sorted(t.scopes), "user_id": t.user_id,
                        "name": t.name} for t in self.tokens.values()],
            "organizations": [org_to_json(org) for org in self.orgs.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EmulatorState:
        """Build state from a seed (see docs/emulator.md) or a saved state file. Seeds may leave
        out ids; they are then assigned from the sequences."""
        state = cls()
        for kind, next_id in (data.get("ids") or {}).items():
            state.ids(kind).advance_past(int(next_id) - 1)
        for raw in data.get("tokens") or []:
            scopes = frozenset(raw.get("scopes") or [])
            unknown = scopes - ALL_SCOPES
            if unknown:
                raise ValueError(f"token {raw.get('name') or '?'}: unknown scopes {sorted(unknown)}")
            token = Token(str(raw["token"]), scopes, raw.get("user_id"), raw.get("name", ""))
            state.tokens[token.token] = token
        for raw in data.get("organizations") or []:
            org = org_from_json(state, raw)
            state.orgs[org.slug] = org
        return state


def _take_id(state: EmulatorState, kind: str, raw: dict, key: str = "id") -> int:
    if raw.get(key) is not None:
        value = int(raw[key])
        state.ids(kind).advance_past(value)
        return value
    return state.ids(kind).next()


def org_from_json(state: EmulatorState, raw: dict[str, Any]) -> Organization:
    org = Organization(
        id=_take_id(state, "org", raw), slug=str(raw["slug"]), name=str(raw.get("name") or raw["slug"]),
        features=set(raw.get("features", ["incidents"])),
        open_membership=bool(raw.get("open_membership", True)),
        metric_detector_limit=raw.get("metric_detector_limit"),
    )
    for t in raw.get("teams") or []:
        team = Team(_take_id(state, "team", t), str(t["slug"]), str(t.get("name") or t["slug"]),
                    [int(u) for u in t.get("members") or []])
        org.teams[team.slug] = team
    for p in raw.get("projects") or []:
        project = Project(_take_id(state, "project", p), str(p["slug"]),
                          str(p.get("name") or p["slug"]), list(p.get("environments") or []),
                          list(p.get("teams") or []), p.get("platform", "python"))
        org.projects[project.slug] = project
    for m in raw.get("members") or []:
        user_id = _take_id(state, "user", m, "user_id")
        org.members.append(Member(_take_id(state, "member", m), user_id, str(m["email"]),
                                  str(m.get("name") or m["email"]), str(m.get("role", "member"))))
    for w in raw.get("slack") or []:
        workspace = SlackWorkspace(
            _take_id(state, "integration", w, "integration_id"), str(w["name"]),
            str(w.get("domain") or f"{str(w['name']).lower()}.slack.com"),
            [SlackChannel(str(c["id"]), str(c["name"]).lstrip("#"), bool(c.get("private", False)),
                          bool(c.get("bot_invited", True))) for c in w.get("channels") or []],
            str(w.get("external_id") or "T0ACME0001"),
        )
        org.slack.append(workspace)
    # Stored alerts (state files): already in stored shape, keyed by id.
    for kind, store in (("alert_rule", org.alert_rules), ("detector", org.detectors),
                        ("workflow", org.workflows)):
        for item in raw.get(f"stored_{kind}s") or []:
            item = copy.deepcopy(item)
            item_id = int(item["id"])
            state.ids(kind).advance_past(item_id)
            store[item_id] = item
    return org


def org_to_json(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id, "slug": org.slug, "name": org.name, "features": sorted(org.features),
        "open_membership": org.open_membership,
        "metric_detector_limit": org.metric_detector_limit,
        "teams": [{"id": t.id, "slug": t.slug, "name": t.name, "members": t.members}
                  for t in org.teams.values()],
        "projects": [{"id": p.id, "slug": p.slug, "name": p.name, "environments": p.environments,
                      "teams": p.teams, "platform": p.platform} for p in org.projects.values()],
        "members": [{"id": m.id, "user_id": m.user_id, "email": m.email, "name": m.name,
                     "role": m.role} for m in org.members],
        "slack": [{"integration_id": w.integration_id, "name": w.name, "domain": w.domain,
                   "external_id": w.external_id,
                   "channels": [{"id": c.id, "name": c.name, "private": c.private,
                                 "bot_invited": c.bot_invited} for c in w.channels]}
                  for w in org.slack],
        "stored_alert_rules": [copy.deepcopy(v) for v in org.alert_rules.values()],
        "stored_detectors": [copy.deepcopy(v) for v in org.detectors.values()],
        "stored_workflows": [copy.deepcopy(v) for v in org.workflows.values()],
    }


def deep_merge(target: dict, changes: dict) -> dict:
    """Apply an out-of-band edit: nested dicts merge, everything else (lists too) replaces."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


__all__ = [
    "JSON", "ALL_SCOPES", "EmulatorState", "Member", "Organization", "Project", "SlackChannel",
    "SlackTask", "SlackWorkspace", "Team", "Token", "deep_merge",
]
