"""Someone edits or deletes an alert in Sentry while apply waits for "yes" (issue 12: an
out-of-band change between plan and apply). Apply lists again before its updates and deletes
(apply_guard.py): the edit is not overwritten unseen and the deleted alert is not re-created
by this apply; the next apply shows both and converges, one alert per key."""

from __future__ import annotations

import re
from collections import Counter

from policy_texts import policy_head
from test_apply_interrupt import Terminal
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import edit_threshold_in_ui, managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.model import Marker

POLICY = "reviewed"


def write_policy(path, critical: str) -> None:
    path.write_text(policy_head(POLICY) + "".join(
        f"  - transaction: GET /api/r{i}\n    sla: {{p95: 500ms}}\n"
        f"    alert: {{critical: {critical}}}\n" for i in range(3)))


def test_edits_and_deletes_made_while_apply_waits_are_not_overwritten_unseen(
        emulator_factory, tmp_path):
    emu = emulator_factory(profile="saas-2026")
    path = tmp_path / "reviewed.yaml"
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    write_policy(path, "750ms")
    assert CliRunner().invoke(app, ["apply", str(path), "--auto-approve"], env=env).exit_code == 0
    write_policy(path, "900ms")  # three updates to review
    emu.request_log.clear()

    term = Terminal(emu, "apply", str(path))
    assert term.read_until(r"Enter a value:"), term.seen
    edit_threshold_in_ui(emu, "acme", POLICY, 5000, key="get-api-r0")  # meanwhile, in the UI
    [(kind, gone, _)] = [m for m in managed_objects(emu, "acme", POLICY)
                         if "get-api-r1" in m[2]["description"]]
    emu.delete(kind, gone, org="acme")
    term.type("yes\n")
    code, shown = term.finish()

    assert code == 1, shown
    assert re.search(r"✗ update get-api-r0 .*not updated: it was changed in Sentry since the "
                     r"plan was made \(critical: critical was 750 ms, now 5000 ms\)", shown), shown
    assert re.search(r"✗ update get-api-r1 .*not updated: it was deleted in Sentry since the "
                     r"plan was made", shown), shown
    assert "✓ update get-api-r2" in shown and "Traceback" not in shown
    assert "5000" in str([m for m in managed_objects(emu, "acme", POLICY)
                          if "get-api-r0" in m[2]["description"]])  # the edit survived
    assert not emu.calls("POST")  # nothing re-created by this apply

    again = CliRunner().invoke(app, ["apply", str(path), "--auto-approve"], env=env)
    assert again.exit_code == 0, again.output
    assert "critical: 5000 ms → 900 ms" in again.output  # shown before it is overwritten
    assert "Apply complete: 1 created, 1 updated, 0 deleted." in again.output
    keys = Counter(Marker.find(i["description"]).key for _, _, i in managed_objects(
        emu, "acme", POLICY))
    assert sorted(keys.values()) == [1, 1, 1]


def test_an_update_another_apply_already_made_is_not_sent_again(emulator_factory, tmp_path):
    from sentry_alerts.apply import apply_plan
    from sentry_alerts.plan import plan_policy

    emu = emulator_factory(profile="self-hosted-25")
    path = tmp_path / "reviewed.yaml"
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    write_policy(path, "750ms")
    assert CliRunner().invoke(app, ["apply", str(path), "--auto-approve"], env=env).exit_code == 0
    write_policy(path, "900ms")
    planned = plan_policy(str(path), token=ALERTS_TOKEN, url=emu.url, org="acme")
    # Another pipeline applies the same policy between this plan and its apply.
    assert CliRunner().invoke(app, ["apply", str(path), "--auto-approve"], env=env).exit_code == 0
    emu.request_log.clear()
    result = apply_plan(planned.plan, planned.connection.backend)
    assert result.ok and {o.status for o in result.outcomes} == {"updated"}
    assert all("already as the policy says" in o.message for o in result.outcomes)
    assert not emu.calls("PUT")
