"""Who may see which project: team membership, open membership, and the `project` parameter
of Sentry's list endpoints.

Sources (getsentry/sentry; docs/emulator.md, "Membership and access"):
- `src/sentry/api/bases/organization.py`, `OrganizationEndpoint.get_projects` /
  `_get_projects_by_id`: with no `project` parameter a list covers the projects whose team the
  token's user belongs to (`access.has_project_membership`); `project=-1` covers every project
  the token can access (`access.has_project_access`); explicit ids (repeatable) are checked one
  by one and a project that is not accessible answers 403.
- `src/sentry/auth/access.py`: project access comes from membership of one of the project's
  teams, or from global access (the organization's "Open Membership" flag, `allow_joinleave`,
  or a role with global access: owner, manager). Organization tokens (no user) act for the
  whole organization.
- `src/sentry/api/utils.py` (`get_requested_project_ids`): a non-numeric project id answers
  400 "Invalid project parameter. Values must be numbers.".
"""

from __future__ import annotations

from dataclasses import dataclass

from sentry_alerts.emulator.core import ApiError, Request, forbidden
from sentry_alerts.emulator.state import Organization, Project

ALL_ACCESSIBLE = "-1"
GLOBAL_ROLES = frozenset({"owner", "manager"})
INVALID_PROJECT_PARAMETER = {"detail": "Invalid project parameter. Values must be numbers."}


@dataclass(frozen=True)
class Access:
    """What one request's token may see in one organization."""

    org: Organization
    user_id: int | None  # None: an organization token, which acts for the whole organization

    @property
    def global_access(self) -> bool:
        if self.user_id is None:
            return True
        member = self.org.user(self.user_id)
        if member is None:
            return False
        return self.org.open_membership or member.role in GLOBAL_ROLES

    def is_member(self, project: Project) -> bool:
        """`has_project_membership`: the user is on one of the project's teams."""
        if self.user_id is None:
            return True
        for slug in project.teams:
            team = self.org.team(slug)
            if team is not None and self.user_id in team.members:
                return True
        return False

    def can_access(self, project: Project) -> bool:
        """`has_project_access`: membership, or global access."""
        return self.global_access or self.is_member(project)

    def require(self, project: Project) -> None:
        """403 (Sentry's permission body) unless the token can access the project."""
        if not self.can_access(project):
            raise forbidden()


def access_of(org: Organization, req: Request) -> Access:
    return Access(org, req.user_id)


def requested_projects(org: Organization, req: Request) -> list[Project]:
    """The projects a list request covers (`get_projects`): see the module docstring.

    `project` takes numeric ids and -1; `projectSlug` takes slugs (and `$all`, like -1)."""
    access = access_of(org, req)
    raw_ids = req.args("project")
    slugs = req.args("projectSlug")
    if ALL_ACCESSIBLE in raw_ids or "$all" in slugs:
        return [p for p in _all(org) if access.can_access(p)]
    wanted: list[Project] = []
    for raw in raw_ids:
        try:
            project_id = int(raw)
        except ValueError:
            raise ApiError(400, INVALID_PROJECT_PARAMETER) from None
        project = org.project(project_id)
        if project is None:
            raise forbidden()
        wanted.append(project)
    for slug in slugs:
        project = org.projects.get(slug)
        if project is None:
            raise forbidden()
        wanted.append(project)
    if wanted:
        for project in wanted:
            access.require(project)
        return wanted
    return [p for p in _all(org) if access.is_member(p)]


def _all(org: Organization) -> list[Project]:
    return sorted(org.projects.values(), key=lambda p: p.id)


__all__ = ["ALL_ACCESSIBLE", "Access", "access_of", "requested_projects"]
