"""Saved plans through the real CLI against the emulator: `plan --out FILE`, `apply FILE`.

A fresh plan applies exactly; a stale one is refused with the reason and changes nothing (policy
edited, an affected alert edited or deleted out of band, an alert to create made meanwhile), as
is a plan for another org or Sentry. Each test runs on the monitors API (saas-2026) and on the
legacy alert rules (self-hosted-25).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import edit_threshold_in_ui, managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN

COMBOS = [("saas-2026", "monitors"), ("self-hosted-25", "alert-rules")]
POLICY = "reviewed"

TRANSACTIONS_TEMPLATE = """\
  - transaction: GET /api/cart
    sla: {{p95: 500ms}}
    alert: {{critical: {cart}}}
  - transaction: POST /api/checkout
    sla: {{p95: 800ms}}
    alert: {{critical: 1200ms, warning: 1000ms}}
  - transaction: GET /api/products
    alert: {{critical: 400ms, metric: p75}}
"""


@dataclass
class World:
    emu: object
    backend: str

    def write_policy(self, cart: str = "750ms") -> None:
        text = policy_head(POLICY) + TRANSACTIONS_TEMPLATE.format(cart=cart)
        Path("reviewed.yaml").write_text(text)

    def run(self, *args: str, url: str | None = None):
        env = {"SENTRY_URL": url or self.emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN,
               "NO_COLOR": "1", "SENTRY_ORG": None}
        return CliRunner().invoke(app, list(args), env=env)

    def plan_out(self, *extra: str):
        result = self.run("plan", "reviewed.yaml", "--out", "plan.json", "--backend",
                          self.backend, *extra)
        assert result.exit_code in (0, 2), result.output
        return result

    def apply_policy(self) -> None:
        result = self.run("apply", "reviewed.yaml", "--auto-approve", "--backend", self.backend)
        assert result.exit_code == 0, result.output

    def managed(self) -> list[tuple[str, int, dict]]:
        return managed_objects(self.emu, "acme", POLICY)

    def managed_by_key(self, key: str) -> tuple[str, int, dict]:
        for kind, obj_id, item in self.managed():
            if f"key {key})" in item.get("description", ""):
                return kind, obj_id, item
        raise AssertionError(f"no managed alert with key {key}")


@pytest.fixture(params=COMBOS, ids=[f"{p}-{b}" for p, b in COMBOS])
def world(request, emulator_factory, tmp_path, monkeypatch) -> World:
    # Relative paths, as in CI: plan and apply run from the same directory.
    monkeypatch.chdir(tmp_path)
    profile, backend = request.param
    w = World(emulator_factory(profile=profile), backend)
    w.write_policy()
    return w


def refused(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: the saved plan plan.json is stale and was not "
                                    "applied (nothing was changed): "), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def test_a_fresh_saved_plan_applies_exactly_and_holds_no_token(world):
    planned = world.plan_out()
    assert "Plan: 3 to create" in planned.stdout
    assert "plan.json" in planned.stderr  # where it was saved, and how to apply it
    saved = Path("plan.json").read_text()
    assert ALERTS_TOKEN not in saved and "sntryu_" not in saved
    data = json.loads(saved)
    assert data["format_version"] == 1 and data["summary"]["create"] == 3
    assert data["policy"]["path"] == "reviewed.yaml"
    assert world.managed() == []  # planning changed nothing

    applied = world.run("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 3 created, 0 updated, 0 deleted." in applied.stdout
    assert len(world.managed()) == 3
    again = world.run("plan", "reviewed.yaml", "--detailed-exitcode", "--backend", world.backend)
    assert again.exit_code == 0, again.output


def test_policy_edited_after_the_plan_is_refused(world):
    world.plan_out()
    world.write_policy(cart="900ms")
    refused(world.run("apply", "plan.json"), "the policy file reviewed.yaml changed since")
    assert world.managed() == []


def test_affected_alert_edited_out_of_band_is_refused(world):
    world.apply_policy()
    world.write_policy(cart="900ms")
    world.plan_out()
    edit_threshold_in_ui(world.emu, "acme", POLICY, 5000, key="get-api-cart")
    before = world.managed()
    refused(world.run("apply", "plan.json"),
            '"GET /api/cart latency" (key get-api-cart, id ', "was changed in Sentry since")
    assert world.managed() == before  # the person's edit is still there, nothing else moved


def test_affected_alert_deleted_out_of_band_is_refused(world):
    world.apply_policy()
    world.write_policy(cart="900ms")
    world.plan_out()
    kind, obj_id, _ = world.managed_by_key("get-api-cart")
    world.emu.delete(kind, obj_id, org="acme")
    refused(world.run("apply", "plan.json"), f"id {obj_id}) was deleted in Sentry since")
    assert len(world.managed()) == 2  # not re-created by a stale plan


def test_alert_to_create_that_exists_meanwhile_is_refused(world):
    world.plan_out()
    world.apply_policy()  # someone else applied the policy in between
    refused(world.run("apply", "plan.json"), "is to be created, but an alert with this "
                                             "policy's marker for that key now exists")
    assert len(world.managed()) == 3  # no duplicates


def test_edit_of_an_alert_the_plan_does_not_touch_does_not_block_it(world):
    world.apply_policy()
    world.write_policy(cart="900ms")
    world.plan_out()
    edit_threshold_in_ui(world.emu, "acme", POLICY, 5000, key="get-api-products")
    applied = world.run("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 0 created, 1 updated" in applied.stdout
    drift = world.run("plan", "reviewed.yaml", "--backend", world.backend)
    assert "critical: 5000 ms → 400 ms" in drift.stdout  # shown by the next plan


def test_plan_for_another_org_or_sentry_is_refused_saying_which_is_which(world, emulator_factory):
    """Not "stale, make a new plan": the plan is fine, the environment points elsewhere."""
    world.plan_out()
    url = world.emu.url
    other_org = world.run("apply", "plan.json", "--org", "globex")
    assert other_org.exit_code == 1 and "stale" not in other_org.stderr
    assert other_org.stderr == (
        f"error: the saved plan plan.json was made for organization acme at {url}, but this run "
        f"is configured for organization globex (from --org / SENTRY_ORG) at {url} (from --url "
        "/ SENTRY_URL, default https://sentry.io/), so it was not applied and nothing was sent "
        "there. To apply it, set SENTRY_ORG=acme (or --org acme); to change globex at "
        f"{url} instead, make a plan there (`sentry-alerts plan reviewed.yaml --out FILE`).\n")
    other = emulator_factory(profile="self-hosted-26.7")
    other_url = world.run("apply", "plan.json", url=other.url)
    assert other_url.exit_code == 1 and "Traceback" not in other_url.output
    assert (f"made for organization acme at {url}, but this run is configured for organization "
            f"acme (from the policy's `organization` in reviewed.yaml) at {other.url}") \
        in other_url.stderr
    assert f"To apply it, set SENTRY_URL={url} (or --url {url})" in other_url.stderr
    assert world.managed() == []
    assert managed_objects(other, "acme", POLICY) == []
    assert other.calls() == []  # refused before the token was sent anywhere


def test_json_format_prints_exactly_the_saved_plan(world):
    result = world.plan_out("--format", "json")
    assert result.stdout == Path("plan.json").read_text()
    assert json.loads(result.stdout)["target"] == {"org": "acme", "url": world.emu.url}


def test_saved_plan_of_another_format_version_is_refused_clearly(world):
    world.plan_out()
    data = json.loads(Path("plan.json").read_text())
    data["format_version"] = 99
    Path("plan.json").write_text(json.dumps(data))
    result = world.run("apply", "plan.json")
    assert result.exit_code == 1 and "format version 99" in result.stderr, result.output
    assert world.managed() == []


def test_options_are_fixed_when_the_plan_is_made(world):
    world.plan_out()
    result = world.run("apply", "plan.json", "--prune")
    assert result.exit_code == 1 and "--prune" in result.stderr, result.output
    assert world.managed() == []


def test_plans_from_an_incomplete_listing_or_with_credentials_in_the_url_are_never_saved(
        tmp_path):
    from test_render_markdown import every_kind

    from sentry_alerts.errors import SentryAlertsError
    from sentry_alerts.saved_plan import save_plan

    target = tmp_path / "plan.json"
    for bad, why in ((replace(every_kind(), listing_complete=False), "incomplete list"),
                     (replace(every_kind(), url="https://me:secret@sentry.example.com"),
                      "credentials")):
        with pytest.raises(SentryAlertsError, match=why):
            save_plan(bad, target)
        assert not target.exists()
    save_plan(every_kind(), target)
    assert json.loads(target.read_text())["format_version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left


def test_a_plan_file_edited_to_name_another_policy_is_refused(world):
    world.plan_out()
    data = json.loads(Path("plan.json").read_text())
    data["policy"]["name"] = "payments"
    Path("plan.json").write_text(json.dumps(data))
    refused(world.run("apply", "plan.json"),
            "it names policy payments, but reviewed.yaml is policy reviewed")
    assert world.managed() == []


def test_planning_a_saved_plan_file_says_what_to_do(world):
    world.plan_out()
    result = world.run("plan", "plan.json")
    assert result.exit_code == 1
    assert "plan.json is a saved plan, not a policy file" in result.stderr, result.output
