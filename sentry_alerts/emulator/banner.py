"""The banner `sentry-alerts emulator` prints: where it listens, the `export` lines to paste
into another terminal, and what the seed holds (projects with their environments, teams,
members, Slack channels), so that a newcomer never has to read the seed file."""

from __future__ import annotations

from typing import Any


def banner(emu: Any, *, admin_prefix: str) -> str:
    """What `sentry-alerts emulator` prints: where it listens, the `export` lines to paste into
    another terminal, and what the seed holds (so nobody has to read the seed file)."""
    tokens = list(emu.state.tokens.values())
    # The token to export: one that can read and write alerts, not the admin one.
    usable = [t for t in tokens if "alerts:write" in t.scopes and "org:read" in t.scopes]
    chosen = next((t for t in usable if t.name == "alerts"), usable[0] if usable else None)
    orgs = list(emu.state.orgs.values())
    lines = [f"Sentry emulator ({emu.profile.name}) listening on {emu.url}",
             f"  {emu.profile.description}", "",
             "In another terminal, point sentry-alerts at it (ready to paste):", "",
             f"  export SENTRY_URL={emu.url}"]
    if chosen is not None:
        lines.append(f"  export SENTRY_AUTH_TOKEN={chosen.token}")
    if orgs:
        lines.append(f"  export SENTRY_ORG={orgs[0].slug}")
    lines += ["", "then, in the project's folder:", "",
              "  .venv/bin/sentry-alerts plan policies/critical-endpoints.yaml",
              "  .venv/bin/sentry-alerts apply policies/critical-endpoints.yaml", ""]
    for org in orgs:
        lines.append(f"What the seed holds in organization {org.slug} (use these names in a "
                     "policy):")
        projects = [f"{p.slug} (environments: {', '.join(p.environments) or 'none yet'})"
                    for p in org.projects.values()]
        lines.append(f"  projects:  {'; '.join(projects) or 'none'}")
        lines.append(f"  teams:     {', '.join(org.teams) or 'none'}  (owner: team:<slug>)")
        lines.append(f"  members:   {', '.join(m.email for m in org.members) or 'none'}  "
                     "(owner: user:<email>)")
        for workspace in org.slack:
            channels = [f"#{c.name}" + (" (private, Sentry not invited: lookups fail)"
                                        if c.private and not c.bot_invited else "")
                        for c in workspace.channels]
            lines.append(f"  Slack workspace {workspace.name}: {', '.join(channels) or 'none'}")
        if not org.slack:
            lines.append("  Slack:     not installed")
        lines.append("")
    lines.append("Tokens (fake, emulator-only):")
    for token in tokens:
        lines.append(f"  {token.name or '-':<10} {token.token}  [{' '.join(sorted(token.scopes))}]")
    lines.append(f"Admin API: {emu.url}{admin_prefix} (faults, log, state, edit; docs/emulator.md)")
    if emu.state_file:
        lines.append(f"State is kept in {emu.state_file}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


__all__ = ["banner"]
