"""Both backends against the emulator, on each server profile: create → list → materialise and
compare (no false diff) → change one threshold (only that differs) → delete; Slack lookups;
every request body validates against Sentry's published schema."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import jsonschema
import pytest
from backend_support import differences, fast_connect, spec
from conftest import reference_file

from sentry_alerts.errors import SentryAPIError
from sentry_alerts.model import EmailTarget, SlackTarget
from sentry_alerts.plan import field_changes
from sentry_alerts.sentry.lookups import DirectoryError

CASES = [
    ("saas-2026", "auto", "monitors"),
    ("self-hosted-25", "auto", "alert-rules"),
    ("self-hosted-26.7", "auto", "monitors"),
    ("self-hosted-26.7", "alert-rules", "alert-rules"),
]


@pytest.fixture(params=CASES, ids=[f"{p}-{b}" for p, b, _ in CASES])
def setup(request, emulator_factory):
    profile, backend, expected = request.param
    emu = emulator_factory(profile=profile)
    sent: list[tuple[str, str, object]] = []
    conn = fast_connect(emu, backend=backend)
    conn.client.on_request = lambda method, path, body: sent.append((method, path, body))
    assert conn.backend.name == expected
    return emu, conn, sent


def test_create_list_compare_update_delete(setup):
    emu, conn, sent = setup
    backend = conn.backend
    dataset = backend.choose_dataset("auto").dataset
    assert dataset == "spans"
    assert backend.list_alerts().alerts == []
    desired = backend.materialize(spec(), dataset)
    created = backend.create(desired)
    # Only the Slack channel id differs: Sentry resolved it; the next materialise learns it.
    assert list(differences(desired, created)) == ["targets"]

    # A fresh run: list, materialise again (channel id learned), no difference at all.
    listing = backend.list_alerts()
    assert listing.complete and len(listing.alerts) == 1
    live = listing.alerts[0]
    again = backend.materialize(spec(), dataset)
    assert differences(again, live) == {}
    assert live.marker == desired.marker
    assert live.version
    slack = [t for t in live.targets if isinstance(t, SlackTarget)][0]
    assert slack.channel == "#ops-alerts" and slack.channel_id == "C0OPS00001"
    assert slack.workspace == "Acme"
    assert EmailTarget("user", "alice@acme.example") in live.targets
    assert live.owner == "team:backend"

    # One threshold changes: only that field differs afterwards (and the description's line
    # that repeats it; the plan lists the threshold once).
    changed = backend.materialize(spec(critical=900), dataset)
    changed = replace(changed, name=again.name)
    updated = backend.update(changed.with_identity(live))
    relisted = backend.list_alerts().alerts
    assert len(relisted) == 1
    assert set(differences(again, relisted[0])) == {"critical_ms", "description"}
    assert differences(again, relisted[0])["critical_ms"] == (750, 900)
    assert [f.field for f in field_changes(again, relisted[0])] == ["critical_ms"]
    assert differences(changed, updated) == {}
    assert relisted[0].version != live.version

    backend.delete(relisted[0])
    assert backend.list_alerts().alerts == []
    backend.delete(relisted[0])  # deleting what is gone is not an error


def test_targets_resolve_and_windows_round_trip(setup):
    emu, conn, sent = setup
    backend = conn.backend
    wanted = spec("search", critical=1200, warning=None, resolve=800, window=60,
                  environment=None, owner="user:bob@acme.example",
                  targets=[SlackTarget("#backend"), EmailTarget("user", "bob@acme.example")])
    desired = backend.materialize(wanted, "spans")
    backend.create(desired)
    live = backend.list_alerts().alerts[0]
    assert differences(backend.materialize(wanted, "spans"), live) == {}
    assert (live.window_minutes, live.resolve_ms, live.warning_ms) == (60, 800, None)
    assert live.owner == "user:bob@acme.example" and live.environment is None


def test_a_resolve_threshold_equal_to_the_lowest_threshold_is_no_change(setup):
    emu, conn, sent = setup
    backend = conn.backend
    wanted = spec("orders", critical=750, warning=500, resolve=500)
    backend.create(backend.materialize(wanted, "spans"))
    live = backend.list_alerts().alerts[0]
    assert differences(backend.materialize(wanted, "spans"), live) == {}


def test_ids_stay_stable_through_an_update_from_a_saved_plan(setup):
    """A saved plan keeps `extra` as JSON; the update still reuses Sentry's trigger/action or
    condition ids, so nothing is deleted and re-created needlessly."""
    emu, conn, sent = setup
    backend = conn.backend
    backend.create(backend.materialize(spec(), "spans"))
    live = backend.list_alerts().alerts[0]
    saved = replace(live, extra=json.loads(json.dumps(live.extra)))
    backend.update(backend.materialize(spec(critical=900), "spans").with_identity(saved))
    after = backend.list_alerts().alerts[0]
    if backend.name == "alert-rules":
        assert after.extra["triggers"] == live.extra["triggers"]
    else:
        assert after.extra["condition_ids"] == live.extra["condition_ids"]


def test_the_channel_is_spelled_as_sentry_has_it(setup):
    emu, conn, sent = setup
    backend = conn.backend
    backend.create(backend.materialize(spec(targets=[SlackTarget("#ops-alerts")]), "spans"))
    live = backend.list_alerts().alerts[0]
    shouted = spec(targets=[SlackTarget("#OPS-Alerts")])
    assert differences(backend.materialize(shouted, "spans"), live) == {}


def test_unknown_names_are_errors_that_list_what_exists(setup):
    emu, conn, sent = setup
    backend = conn.backend
    with pytest.raises(DirectoryError, match=r"team 'nope'.*backend, sre"):
        backend.materialize(spec(owner="team:nope"), "spans")
    with pytest.raises(DirectoryError, match=r"workspace 'Other'.*installed: Acme"):
        backend.materialize(spec(targets=[SlackTarget("#x", workspace="Other")]), "spans")
    with pytest.raises(DirectoryError, match=r"bob@acme.example"):
        backend.materialize(spec(targets=[EmailTarget("user", "eve@acme.example")]), "spans")


def test_a_missing_slack_channel_reports_sentrys_reason(setup):
    emu, conn, sent = setup
    backend = conn.backend
    desired = backend.materialize(spec(targets=[SlackTarget("#leadership")]), "spans")
    with pytest.raises(SentryAPIError) as failure:
        backend.create(desired)
    message = failure.value.message
    assert "leadership" in message or "slack resource" in message.lower()
    assert "does not exist or has not been granted access" in message
    assert "\n" not in message
    assert backend.list_alerts().alerts == []


def test_every_request_body_validates_against_the_published_schema(setup):
    emu, conn, sent = setup
    backend = conn.backend
    paths = json.loads(reference_file("sentry-openapi-alert-rules.json").read_text())["paths"]
    first = backend.materialize(spec("a"), "spans")
    backend.create(first)
    backend.create(backend.materialize(spec("b", warning=None, targets=[EmailTarget("team", "sre")],
                                            owner=None), "spans"))
    live = {a.marker.key: a for a in backend.list_alerts().alerts}
    backend.update(backend.materialize(spec("a", critical=800), "spans").with_identity(live["a"]))
    backend.delete(live["b"])
    bodies = [(m, p, b) for m, p, b in sent if b is not None]
    assert {m for m, _, _ in bodies} >= {"POST", "PUT"}
    for method, path, body in bodies:
        template, operation = _operation(paths, path, method)
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        # The legacy schema names fields in camelCase; the monitors schemas in snake_case
        # (Sentry converts camelCase input, notes §1.6).
        instance = body if "/alert-rules/" in template else _snake(body)
        jsonschema.validate(instance, _json_schema(schema))


def _operation(paths: dict, path: str, method: str) -> tuple[str, dict]:
    for template, ops in paths.items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in ops:
            return template, ops[method.lower()]
    raise AssertionError(f"{method} {path} is not in the published schema")


def _snake(node):
    if isinstance(node, list):
        return [_snake(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): _snake(v) for k, v in node.items()}


def _json_schema(node):
    """OpenAPI 3.0 `nullable: true` as a JSON Schema null alternative."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out
