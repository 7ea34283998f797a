"""Saved plans: `plan --out FILE` writes one, `apply FILE` applies exactly it, or refuses.

A saved plan is the plan's JSON view (render/json_view.py, docs/plan-format.md): the same
document `plan --format json` prints. It records what the plan was computed from, so that
`apply FILE` can prove nothing moved underneath it before sending anything:

- the policy file's path and content hash (`policy.path`, `policy.content_hash`): the file is
  read again at that path (relative paths: from the directory `plan` ran in) and must hash the
  same;
- the target (`target.org`, `target.url`): the current --org / --url must name the same;
- each affected live alert (`changes[].live`): its Sentry id and `version` (an opaque token
  that changes whenever the alert changes in Sentry); a fresh listing must show the same
  version for every update and delete, and no alert yet for every create.

Any difference is a `StalePlanError` naming each reason; nothing is sent. A saved plan never
holds the token (only the plan's own data is written; a URL with credentials is refused).
Between the check and the writes there is a window of a few seconds in which a person could
still edit an alert; the next plan shows any such drift.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sentry_alerts.diff import field_changes
from sentry_alerts.errors import SentryAlertsError, StalePlanError
from sentry_alerts.model import Alert
from sentry_alerts.plan import PlannedPolicy, policy_projects, resolve_org
from sentry_alerts.plan_data import Change, Plan

MAX_PLAN_BYTES = 64 * 1_048_576  # a 5,000-alert plan is a few MB
# Refusals list at most this many reasons, then "and N more".
MAX_REASONS = 6


# --- writing and reading ----------------------------------------------------------------------


def save_plan(plan: Plan, path: str | Path) -> None:
    """Write the plan's JSON view to `path` atomically (a reader never sees half a file)."""
    from sentry_alerts.render.json_view import render_json

    if not plan.listing_complete:
        raise SentryAlertsError(
            f"the plan was not saved to {path}: it was made from an incomplete list of live "
            "alerts, and applying it could create duplicates. Run plan again.")
    if urlsplit(plan.url).username is not None:
        raise SentryAlertsError(
            f"the plan was not saved to {path}: the Sentry URL holds credentials (user@host), "
            "which a saved plan must never contain. Pass the URL without them and the token "
            "with SENTRY_AUTH_TOKEN or --token.")
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(render_json(plan))
        os.replace(tmp, target)
    except OSError as exc:
        raise SentryAlertsError(
            f"cannot write the plan to {path}: {exc.strerror or exc}. Choose a writable path "
            "for --out.") from None


def _read_json_object(path: Path) -> Mapping[str, Any] | None:
    try:
        if not path.is_file():  # a device or a pipe is never a saved plan (nor read forever)
            return None
        with path.open("rb") as fh:
            raw = fh.read(MAX_PLAN_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_PLAN_BYTES:
        return None
    if not raw.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def is_saved_plan(path: str | Path) -> bool:
    """True when `path` holds a saved plan (JSON with `format_version` and `changes`), False for
    anything else (a policy file, which `apply` treats as before)."""
    data = _read_json_object(Path(path))
    return data is not None and "format_version" in data and "changes" in data


def load_saved_plan(path: str | Path) -> Plan:
    data = _read_json_object(Path(path))
    if data is None:
        raise SentryAlertsError(
            f"{path} is not a saved plan (a JSON file written by `sentry-alerts plan --out`); "
            "pass a saved plan or a policy file.")
    try:
        return Plan.from_dict(data)
    except SentryAlertsError as exc:
        raise SentryAlertsError(f"{path}: {exc.message}") from None


# --- the checks ---------------------------------------------------------------------------------


class TargetMismatchError(SentryAlertsError):
    """A saved plan for another organization or Sentry than the one configured."""


def _stale(path: str | Path, reasons: list[str], plan: Plan) -> StalePlanError:
    shown = reasons[:MAX_REASONS]
    more = len(reasons) - len(shown)
    listed = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    options = "".join(flag for flag, on in ((" --prune", plan.prune), (" --adopt", plan.adopt))
                      if on)
    return StalePlanError(
        f"the saved plan {path} is stale and was not applied (nothing was changed): {listed}. "
        f"Make a new plan (`sentry-alerts plan {plan.policy_path}{options} --out {path}`), "
        "review it, and apply that one.")


def check_policy_unchanged(plan: Plan, path: str | Path) -> None:
    """The policy file must still exist at the recorded path and hash the same."""
    policy_file = Path(plan.policy_path)
    try:
        raw = policy_file.read_bytes()
    except OSError as exc:
        raise _stale(path, [
            f"its policy file {plan.policy_path} cannot be read ({exc.strerror or exc}; apply "
            "a saved plan from the directory plan ran in)"], plan) from None
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    if digest != plan.policy_hash:
        raise _stale(path, [f"the policy file {plan.policy_path} changed since the plan was "
                            f"made on {plan.created_at}"], plan)


def _normal_url(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1  # unreadable: never equal to a real port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port or default,
            parts.path.rstrip("/").removesuffix("/api/0"))


def url_may_match(requested: str, planned: str) -> bool:
    """Before connecting: the same base URL, or (sentry.io) the plan's URL is a region host of
    the requested one (`https://sentry.io` -> `https://us.sentry.io`)."""
    r, p = _normal_url(requested), _normal_url(planned)
    if r == p:
        return True
    return (r[0], r[2], r[3]) == (p[0], p[2], p[3]) and p[1].endswith("." + r[1])


def check_target(plan: Plan, path: str | Path, *, org: str, url: str,
                 org_source: str = "--org / SENTRY_ORG, else the policy's `organization`") -> None:
    """The configured org and URL must be the plan's. A mismatch is not a stale plan: the plan
    is fine, the environment points elsewhere, so the message says which is which and how to
    point it back."""
    same_org, same_url = org == plan.org, url_may_match(url, plan.url)
    if same_org and same_url:
        return
    fixes = []
    if not same_org:
        fixes.append(f"SENTRY_ORG={plan.org} (or --org {plan.org})")
    if not same_url:
        fixes.append(f"SENTRY_URL={plan.url} (or --url {plan.url})")
    raise TargetMismatchError(
        f"the saved plan {path} was made for organization {plan.org} at {plan.url}, but this "
        f"run is configured for organization {org} (from {org_source}) at {url.strip()} (from "
        "--url / SENTRY_URL, default https://sentry.io/), so it was not applied and nothing "
        f"was sent there. To apply it, set {' and '.join(fixes)}; to change {org} at "
        f"{url.strip()} instead, make a plan there (`sentry-alerts plan {plan.policy_path} "
        "--out FILE`).")


def _changed(recorded: Alert, now: Alert) -> bool:
    if recorded.version and now.version:
        return recorded.version != now.version
    # A backend that gives no version: compare what the plan compares, and the marker.
    return bool(field_changes(recorded, now)) or recorded.marker != now.marker


def _quoted(change: Change) -> str:
    return f'"{change.name}" (key {change.key}'


def live_reasons(plan: Plan, alerts: list[Alert]) -> list[str]:
    """Why the live alerts no longer match what the plan was computed from (empty: they do)."""
    by_id = {a.remote_id: a for a in alerts if a.remote_id}
    # Alerts the plan already knew (unchanged, orphans, ...): not news when a name repeats.
    known = {c.live.remote_id for c in plan.changes if c.live is not None}
    reasons: list[str] = []
    for change in plan.executable:
        if change.action == "create":
            desired = change.desired
            assert desired is not None
            taken = [a for a in alerts if desired.marker and a.marker == desired.marker]
            named = [a for a in alerts if a.name.strip() == desired.name.strip()
                     and a.remote_id not in known and a not in taken
                     and (a.marker is None or a.marker.policy != plan.policy_name)]
            if taken:
                reasons.append(f"{_quoted(change)}) is to be created, but an alert with this "
                               f"policy's marker for that key now exists (id {taken[0].remote_id})")
            elif named:
                reasons.append(f"{_quoted(change)}) is to be created, but an alert with that "
                               f"name now exists (id {named[0].remote_id})")
            continue
        recorded = change.live
        assert recorded is not None
        rid = recorded.remote_id
        now = by_id.get(rid or "")
        if now is None:
            reasons.append(f"{_quoted(change)}, id {rid}) was deleted in Sentry since the plan")
        elif _changed(recorded, now):
            reasons.append(f"{_quoted(change)}, id {rid}) was changed in Sentry since the plan")
        elif change.action == "delete" and (now.marker is None
                                            or now.marker.policy != plan.policy_name):
            # Only alerts this policy manages are ever deleted, whatever a plan file says.
            reasons.append(f"{_quoted(change)}, id {rid}) is not managed by policy "
                           f"{plan.policy_name}, so it is never deleted")
        elif change.action == "update" and now.marker is not None \
                and now.marker.policy != plan.policy_name:
            reasons.append(f"{_quoted(change)}, id {rid}) is managed by another policy "
                           f"({now.marker.policy})")
        elif change.action == "update" and now.marker is None and not plan.adopt:
            reasons.append(f"{_quoted(change)}, id {rid}) is not managed by sentry-alerts and "
                           "the plan was not made with --adopt")
    return reasons


# --- everything `apply FILE` does before applying ------------------------------------------------


def prepare_saved_plan(path: str | Path, *, token: str | None, url: str, org: str | None,
                       backend: str = "auto", insecure: bool = False,
                       progress: Callable[[str], None] | None = None,
                       connect_options: Mapping[str, Any] | None = None) -> PlannedPolicy:
    """Load a saved plan, prove it is not stale, and connect: a `PlannedPolicy` whose plan is
    exactly the saved one. Raises StalePlanError (stale, other org/URL), AuthError (the caller
    may write a manual guide), SentryAPIError, or SentryAlertsError."""
    from sentry_alerts.policy import load_policy
    from sentry_alerts.sentry.connect import connect

    plan = load_saved_plan(path)
    check_policy_unchanged(plan, path)
    policy = load_policy(plan.policy_path)
    if policy.name != plan.policy_name:  # only an edited plan file can get here
        raise _stale(path, [f"it names policy {plan.policy_name}, but {plan.policy_path} is "
                            f"policy {policy.name}"], plan)
    check_target(plan, path, org=resolve_org(org, policy), url=url,
                 org_source="--org / SENTRY_ORG" if (org or "").strip()
                 else f"the policy's `organization` in {plan.policy_path}")
    if backend not in ("auto", plan.backend):
        raise SentryAlertsError(
            f"the saved plan {path} was made for the {plan.backend} backend; drop --backend "
            f"{backend} (a saved plan always uses the backend it was made for).")
    connection = connect(url=url, token=token, org=plan.org, backend=plan.backend,
                         insecure=insecure, progress=progress, projects=policy_projects(policy),
                         **dict(connect_options or {}))
    if connection.url.rstrip("/") != plan.url.rstrip("/"):
        raise _stale(path, [f"it was made for the Sentry at {plan.url}, but the organization "
                            f"is now served from {connection.url}"], plan)
    # The same listing the plan was made from (--prune: every project; else the policy's).
    listing = connection.backend.list_alerts(None if plan.prune else policy_projects(policy))
    if not listing.complete:
        raise SentryAlertsError(
            f"the saved plan {path} could not be checked against Sentry: the list of live "
            f"alerts was incomplete ({'; '.join(listing.problems) or 'a page failed'}). "
            "Nothing was changed; run apply again.")
    reasons = live_reasons(plan, listing.alerts)
    if reasons:
        raise _stale(path, reasons, plan)
    check_matches_policy(plan, path, policy, connection.backend, listing.alerts)
    return PlannedPolicy(plan, policy, connection)


def check_matches_policy(plan: Plan, path: str | Path, policy: Any, backend: Any,
                         alerts: list[Alert]) -> None:
    """The plan's changes must be the ones its policy and options give (plan_integrity.py):
    a plan file edited after `plan --out` is refused, naming each difference."""
    from sentry_alerts.plan_integrity import expected_changes, tampered_reasons

    choice = backend.choose_dataset(policy.dataset)
    reasons = [] if choice.dataset == plan.dataset else [
        f"it uses the {plan.dataset} dataset, but the policy gives {choice.dataset}"]
    reasons += tampered_reasons(plan, expected_changes(plan, policy, backend, alerts))
    if reasons:
        shown = reasons[:MAX_REASONS]
        more = len(reasons) - len(shown)
        raise TamperedPlanError(
            f"the saved plan {path} does not match what its policy {plan.policy_path} gives "
            f"with the plan's options, so it was not applied (nothing was changed): "
            f"{'; '.join(shown)}{f'; and {more} more' if more > 0 else ''}. The file was edited "
            f"after `plan --out`; make a new plan (`sentry-alerts plan {plan.policy_path} "
            f"--out {path}`), review it, and apply that one.")


class TamperedPlanError(SentryAlertsError):
    """A saved plan whose changes are not what its policy gives (an edited plan file)."""


__all__ = ["TargetMismatchError", "check_policy_unchanged", "check_target", "is_saved_plan", "live_reasons",
           "load_saved_plan", "prepare_saved_plan", "save_plan", "url_may_match"]
