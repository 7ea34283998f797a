"""The legacy alert rules API refuses an alert without a notify target ("Each trigger must
have an associated action for this alert to fire.", Sentry's AlertRuleSerializer; notes §5.2):
`validate --backend alert-rules` calls it an error, plan on that backend refuses before sending
anything, and elsewhere it stays a warning."""

from __future__ import annotations

from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN

SILENT = """\
version: 1
name: silent
organization: acme
defaults: {project: backend, environment: production}
transactions:
  - transaction: GET /a
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""


def test_validate_says_error_on_the_legacy_backend_and_warning_elsewhere(tmp_path):
    policy = tmp_path / "silent.yaml"
    policy.write_text(SILENT)
    legacy = CliRunner().invoke(app, ["validate", "--backend", "alert-rules", str(policy)])
    assert legacy.exit_code == 1, legacy.output
    assert "error: the legacy alert rules API refuses an alert without a notify target" in \
        legacy.output and "[no-notify]" in legacy.output and ":6:" in legacy.output
    default = CliRunner().invoke(app, ["validate", str(policy)])
    assert default.exit_code == 0 and "warning: nobody hears this alert" in default.output
    monitors = CliRunner().invoke(app, ["validate", "--backend", "monitors", str(policy)])
    assert monitors.exit_code == 0
    bad = CliRunner().invoke(app, ["validate", "--backend", "rules", str(policy)])
    assert bad.exit_code == 1 and "--backend must be one of" in bad.output


def test_plan_on_the_legacy_backend_refuses_before_sending(emulator_factory, tmp_path):
    emu = emulator_factory(profile="self-hosted-25")
    policy = tmp_path / "silent.yaml"
    policy.write_text(SILENT)
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["apply", "--auto-approve", str(policy)], env=env)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "1 alert(s) of policy silent have no notify target: GET /a" in text
    assert "Nothing was sent." in text and "Traceback" not in text
    assert not emu.calls("POST")
