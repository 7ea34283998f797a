"""Read-only lookups a client needs before it can write alerts (notes §4): organizations,
projects, teams, members, environments, project teams and integrations. Bodies follow the
published schema (SCHEMA-HEAD) closely enough to validate against it."""

from __future__ import annotations

from typing import Any

from sentry_alerts.emulator.core import ApiError, Request, Response, Router, not_found
from sentry_alerts.emulator.state import Member, Organization, Project, SlackWorkspace, Team

ORG_READ = {"org:read", "org:write", "org:admin"}
MEMBER_READ = {"member:read", "member:write", "member:admin", "org:read", "org:write", "org:admin"}
TEAM_READ = {"team:read", "team:write", "team:admin", "org:read", "org:write", "org:admin"}
PROJECT_READ = {"project:read", "project:write", "project:admin", "org:read", "org:write",
                "org:admin"}
INTEGRATIONS_READ = {"org:read", "org:write", "org:admin", "org:integrations"}

AVATAR = {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None}


def org_json(emu: Any, org: Organization) -> dict[str, Any]:
    return {
        "id": str(org.id), "slug": org.slug, "name": org.name, "dateCreated": org.date_created,
        "status": {"id": "active", "name": "active"}, "isEarlyAdopter": False,
        "require2FA": False, "avatar": AVATAR, "hasAuthProvider": False,
        "allowMemberInvite": True, "allowMemberProjectCreation": True,
        "allowSuperuserAccess": False, "features": sorted(org.features),
        # Both point at the emulator itself (Sentry: https://{slug}.sentry.io and the region);
        # tests set `emu.region_url` to check where the token may follow it.
        "links": {"organizationUrl": emu.url,
                  "regionUrl": getattr(emu, "region_url", None) or emu.url},
    }


def team_json(org: Organization, team: Team, user_id: int | None) -> dict[str, Any]:
    is_member = user_id is not None and user_id in team.members
    return {
        "id": str(team.id), "slug": team.slug, "name": team.name, "dateCreated": team.date_created,
        "isMember": is_member, "teamRole": "contributor" if is_member else None, "flags": {
            "idp:provisioned": False}, "access": ["alerts:read", "project:read", "team:read"],
        "hasAccess": True, "isPending": False, "memberCount": len(team.members), "avatar": AVATAR,
    }


def project_json(org: Organization, project: Project, user_id: int | None) -> dict[str, Any]:
    teams = [org.teams[s] for s in project.teams if s in org.teams]
    brief = [{"id": str(t.id), "name": t.name, "slug": t.slug} for t in teams]
    flags = {key: False for key in (
        "hasFeedbacks", "hasFlags", "hasMinifiedStackTrace", "hasMonitors", "hasNewFeedbacks",
        "hasProfiles", "hasReplays", "hasSessions", "hasInsightsHttp", "hasInsightsDb",
        "hasInsightsAssets", "hasInsightsAppStart", "hasInsightsScreenLoad", "hasInsightsVitals",
        "hasInsightsCaches", "hasInsightsQueues", "hasInsightsAgentMonitoring", "hasInsightsMCP",
        "hasLogs", "hasTraceMetrics", "hasUserReports")}
    return {
        "id": str(project.id), "slug": project.slug, "name": project.name,
        "platform": project.platform, "dateCreated": project.date_created,
        "isBookmarked": False,
        "isMember": any(user_id in t.members for t in teams) if user_id is not None else False,
        "features": [], "firstEvent": None, "firstTransactionEvent": True,
        "access": ["alerts:read", "alerts:write", "project:read"], "hasAccess": True, **flags,
        "team": brief[0] if brief else None, "teams": brief,
        "platforms": [project.platform] if project.platform else [],
        "environments": list(project.environments), "latestRelease": None,
    }


def member_json(org: Organization, member: Member) -> dict[str, Any]:
    return {
        "id": str(member.id), "email": member.email, "name": member.name,
        "orgRole": member.role, "pending": False, "expired": False,
        "dateCreated": "2024-01-01T00:00:00.000000Z", "inviteStatus": "approved",
        "inviterName": None,
        "flags": {"idp:provisioned": False, "idp:role-restricted": False, "sso:linked": False,
                  "sso:invalid": False, "member-limit:restricted": False,
                  "partnership:restricted": False},
        "teams": [t.slug for t in org.teams.values() if member.user_id in t.members],
        "user": {
            "id": str(member.user_id), "name": member.name, "username": member.email,
            "email": member.email, "avatarUrl": "", "isActive": True, "hasPasswordAuth": True,
            "isManaged": False, "dateJoined": "2024-01-01T00:00:00.000000Z", "lastLogin": None,
            "has2fa": False, "lastActive": None, "isSuperuser": False, "isStaff": False,
            "isSuspended": False,
            "experiments": {}, "emails": [{"id": str(member.user_id), "email": member.email,
                                           "is_verified": True}],
        },
    }


def integration_json(org: Organization, ws: SlackWorkspace, include_config: bool) -> dict[str, Any]:
    return {
        "id": str(ws.integration_id), "name": ws.name, "icon": None, "domainName": ws.domain,
        "accountType": None, "scopes": ["channels:read", "chat:write", "users:read"],
        "outOfDate": False, "status": "active",
        "provider": {"key": "slack", "slug": "slack", "name": "Slack", "canAdd": True,
                     "canDisable": False, "features": ["alert-rule", "chat-unfurl"],
                     "aspects": {}},
        "configOrganization": [] if include_config else None,
        "configData": {"installationType": "born_as_bot"} if include_config else None,
        "externalId": ws.external_id, "organizationId": org.id,
        "organizationIntegrationStatus": "active", "gracePeriodEnd": None,
    }


def get_project(org: Organization, slug_or_id: str) -> Project:
    project = org.project(slug_or_id)
    if project is None:
        raise not_found()
    return project


# --- handlers ---

def list_orgs(emu: Any, req: Request) -> Response:
    return emu.paginate(req, [org_json(emu, o) for o in emu.state.orgs.values()])


def get_org(emu: Any, req: Request, org: str) -> Response:
    return Response(200, org_json(emu, emu.state.org(org)))


def list_projects(emu: Any, req: Request, org: str) -> Response:
    o = emu.state.org(org)
    items = [project_json(o, p, req.user_id) for p in sorted(o.projects.values(), key=lambda p: p.slug)]
    return emu.paginate(req, items)


def list_teams(emu: Any, req: Request, org: str) -> Response:
    o = emu.state.org(org)
    items = []
    for team in sorted(o.teams.values(), key=lambda t: t.slug):
        item = team_json(o, team, req.user_id)
        if req.arg("detailed") != "0":
            item["projects"] = [
                {**project_json(o, p, req.user_id), "avatar": AVATAR, "color": "#3f70bf",
                 "isInternal": False, "isPublic": False, "status": "active"}
                for p in o.projects.values() if team.slug in p.teams]
        items.append(item)
    return emu.paginate(req, items)


def list_members(emu: Any, req: Request, org: str) -> Response:
    o = emu.state.org(org)
    return emu.paginate(req, [member_json(o, m) for m in o.members])


def list_environments(emu: Any, req: Request, org: str, project: str) -> Response:
    o = emu.state.org(org)
    p = get_project(o, project)
    return Response(200, [{"id": str(i + 1), "name": name, "isHidden": False}
                          for i, name in enumerate(p.environments)])


def list_project_teams(emu: Any, req: Request, org: str, project: str) -> Response:
    o = emu.state.org(org)
    p = get_project(o, project)
    teams = [o.teams[s] for s in p.teams if s in o.teams]
    return emu.paginate(req, [team_json(o, t, req.user_id) for t in teams])


def list_integrations(emu: Any, req: Request, org: str) -> Response:
    o = emu.state.org(org)
    provider = req.arg("providerKey") or req.arg("provider_key")
    include_config = req.arg("includeConfig") != "0"
    items = [] if provider not in (None, "", "slack") else [
        integration_json(o, ws, include_config) for ws in o.slack]
    return emu.paginate(req, items)


def get_integration(emu: Any, req: Request, org: str, integration_id: str) -> Response:
    o = emu.state.org(org)
    ws = o.slack_workspace(integration_id)
    if ws is None:
        raise ApiError(404, {"detail": "The requested resource does not exist"})
    return Response(200, integration_json(o, ws, True))


def register(router: Router) -> None:
    add = router.add
    add("GET", "/api/0/organizations/", list_orgs, scopes=ORG_READ, name="organizations.list")
    add("GET", "/api/0/organizations/{org}/", get_org, scopes=ORG_READ, name="organizations.get")
    add("GET", "/api/0/organizations/{org}/projects/", list_projects, scopes=ORG_READ,
        name="projects.list")
    add("GET", "/api/0/organizations/{org}/teams/", list_teams, scopes=TEAM_READ, name="teams.list")
    add("GET", "/api/0/organizations/{org}/members/", list_members, scopes=MEMBER_READ,
        name="members.list")
    add("GET", "/api/0/projects/{org}/{project}/environments/", list_environments,
        scopes=PROJECT_READ, name="project.environments")
    add("GET", "/api/0/projects/{org}/{project}/teams/", list_project_teams, scopes=PROJECT_READ,
        name="project.teams")
    add("GET", "/api/0/organizations/{org}/integrations/", list_integrations,
        scopes=INTEGRATIONS_READ, name="integrations.list")
    add("GET", "/api/0/organizations/{org}/integrations/{integration_id}/", get_integration,
        scopes=INTEGRATIONS_READ, name="integrations.get")
