"""Default alert names hold the transaction and the statistic, not the threshold: changing a
threshold is one changed value in the plan, the alert keeps its name (and its history), and the
threshold stays visible in the plan and in the alert's description. A policy's own `name:`
template is kept as written."""

from __future__ import annotations

import pytest
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ALERTS_TOKEN

TRANSACTIONS = """\
  - transaction: GET /api/cart
    sla: {{p95: 500ms}}
    alert: {{critical: {critical}}}
  - transaction: GET /api/search
    alert: {{critical: 600ms, metric: p75}}
    name: "Search is slow ({{critical}})"
"""


@pytest.mark.parametrize("profile", ["saas-2026", "self-hosted-25"])
def test_a_threshold_change_is_one_value_and_keeps_the_name(emulator_factory, tmp_path, profile):
    emu = emulator_factory(profile=profile)
    path = tmp_path / "stable.yaml"

    def run(command: str, critical: str):
        path.write_text(policy_head("stable", alert_name=False)
                        + TRANSACTIONS.format(critical=critical))
        extra = ["--auto-approve"] if command == "apply" else []
        env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
        result = CliRunner().invoke(app, [command, str(path), *extra], env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    created = run("apply", "750ms")
    assert '"GET /api/cart: p95 latency"' in created
    assert '"Search is slow (600 ms)"' in created  # the policy's own template, as written

    plan = run("plan", "900ms")
    assert "Plan: 0 to create, 1 to update, 0 to delete, 1 unchanged." in plan
    update = plan[plan.index("~ update get-api-cart"):].split("\n\n")[0].splitlines()
    assert update == ['~ update get-api-cart  "GET /api/cart: p95 latency"  (id '
                      + update[0].split("(id ")[1],
                      "      critical: 750 ms → 900 ms"]

    run("apply", "900ms")
    [cart] = [item for _, _, item in managed_objects(emu, "acme", "stable")
              if "GET /api/cart" in str(item.get("name"))]
    assert cart["name"] == "GET /api/cart: p95 latency"
    assert "Fires when p95 > 900 ms over 5m." in cart["description"]
    assert "No changes" in run("plan", "900ms")
