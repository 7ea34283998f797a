"""The manual-guide fallback of `plan` and `apply`, through the real CLI against the emulator.

No token, a token Sentry rejects (401) or one without the scopes it needs (403): a guide is
written to --guide-dir and the command exits 3. A token that can read but not write: `apply`
guides only what the plan says is missing or different and was not applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_texts import policy_head
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN, NO_SCOPES_TOKEN, READ_ONLY_TOKEN
from sentry_alerts.errors import EXIT_MANUAL_GUIDE

TRANSACTIONS_TEMPLATE = """\
  - transaction: GET /api/a
    alert: {{critical: {a_critical}, metric: p95}}
  - transaction: GET /api/b
    alert: {{critical: 750ms, metric: p95}}
{extra}"""
EXTRA_D = """\
  - transaction: GET /api/d
    alert: {critical: 750ms, metric: p95}
"""


def policy_text(a_critical: str, extra: str) -> str:
    return (policy_head("fallback-shop", alert_name=False, slack_channel_id=False)
            + TRANSACTIONS_TEMPLATE.format(a_critical=a_critical, extra=extra))


BAD_TOKEN = "sntryu_not_a_real_token_123456789"


def run(emu, policy: Path, *args: str, token: str | None, guide_dir: Path | None = None):
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": token or "", "NO_COLOR": "1"}
    argv = [*args, str(policy)]
    if guide_dir is not None:
        argv += ["--guide-dir", str(guide_dir)]
    return CliRunner().invoke(app, argv, env=env)


def pages(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.md")}


@pytest.fixture
def policy(tmp_path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(policy_text(a_critical="750ms", extra=""), encoding="utf-8")
    return path


ALL_PAGES = {"index.md", "alerts/get-api-a.md", "alerts/get-api-b.md", "monitors/get-api-a.md",
             "monitors/get-api-b.md"}


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"]])
@pytest.mark.parametrize("token,status", [(None, None), (BAD_TOKEN, 401),
                                          (NO_SCOPES_TOKEN, 403)],
                         ids=["no-token", "401", "403"])
def test_no_api_access_writes_the_guide_and_exits_3(emulator, policy, tmp_path, command, token,
                                                     status) -> None:
    guide_dir = tmp_path / "guide"
    result = run(emulator, policy, *command, token=token, guide_dir=guide_dir)
    assert result.exit_code == EXIT_MANUAL_GUIDE, result.output
    assert pages(guide_dir) == ALL_PAGES
    out = result.output
    assert "Wrote a manual setup guide instead" in out and str(guide_dir / "index.md") in out
    assert "Exit code 3" in out and "--no-fallback" in out
    if status:
        assert f"Sentry answered {status}" in out
        assert any(s == status for _, _, s in emulator.request_log)
    else:
        assert "no Sentry token" in out
    index = (guide_dir / "index.md").read_text(encoding="utf-8")
    assert "**Why this guide:**" in index
    # Nothing was created, and the token is nowhere in what was written or printed.
    assert not [m for m, _, _ in emulator.request_log if m in ("POST", "PUT", "DELETE")]
    for text in [out, *(p.read_text(encoding="utf-8") for p in guide_dir.rglob("*.md"))]:
        assert NO_SCOPES_TOKEN not in text and BAD_TOKEN not in text


def test_default_guide_dir(emulator, policy, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(emulator, policy, "plan", token=None)
    assert result.exit_code == EXIT_MANUAL_GUIDE
    assert pages(tmp_path / "sentry-alerts-guide") == ALL_PAGES


@pytest.mark.parametrize("token", [None, BAD_TOKEN, NO_SCOPES_TOKEN])
def test_no_fallback_reports_the_error(emulator, policy, tmp_path, token) -> None:
    guide_dir = tmp_path / "guide"
    result = run(emulator, policy, "plan", "--no-fallback", token=token, guide_dir=guide_dir)
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert not guide_dir.exists()


def test_a_bad_policy_is_an_error_not_a_guide(emulator, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\ntransactions: nope\n", encoding="utf-8")
    result = run(emulator, bad, "plan", token=None, guide_dir=tmp_path / "guide")
    assert result.exit_code == 1 and "error:" in result.output
    assert not (tmp_path / "guide").exists()


@pytest.mark.parametrize("profile,backend,ui", [("self-hosted-25", "alert-rules", "alerts"),
                                                ("saas-2026", "monitors", "monitors")])
def test_read_only_token_guides_only_what_is_missing_or_different(
        emulator_factory, tmp_path, profile, backend, ui) -> None:
    emu = emulator_factory(profile=profile)
    policy = tmp_path / "shop.yaml"
    # Sentry already has a (900 ms) and b, made by sentry-alerts with a writing token.
    policy.write_text(policy_text(a_critical="900ms", extra=""), encoding="utf-8")
    made = run(emu, policy, "apply", "--auto-approve", "--backend", backend, token=ALERTS_TOKEN)
    assert made.exit_code == 0, made.output
    # Now the policy wants a at 750 ms and a new d; the token can only read.
    policy.write_text(policy_text(a_critical="750ms", extra=EXTRA_D), encoding="utf-8")
    planned = run(emu, policy, "plan", "--backend", backend, token=READ_ONLY_TOKEN)
    assert planned.exit_code == 0, planned.output  # reading is allowed: plan needs no guide
    guide_dir = tmp_path / "guide"
    result = run(emu, policy, "apply", "--auto-approve", "--backend", backend,
                 token=READ_ONLY_TOKEN, guide_dir=guide_dir)
    assert result.exit_code == EXIT_MANUAL_GUIDE, result.output
    assert "refused to change them (HTTP 403)" in result.output
    written = pages(guide_dir)
    assert "index.md" in written
    assert f"{ui}/get-api-d.md" in written  # missing: a create page
    assert f"{ui}/get-api-b.md" not in written  # unchanged: not guided
    assert not any(p.startswith("alerts/" if ui == "monitors" else "monitors/") for p in written)
    index = (guide_dir / "index.md").read_text(encoding="utf-8")
    assert "only what is missing or different" in index
    assert "Already correct in Sentry" in index and "`GET /api/b: p95 latency`" in index
    create = (guide_dir / ui / "get-api-d.md").read_text(encoding="utf-8")
    assert "`is_transaction:true transaction:\"GET /api/d\"`" in create
    assert "Transaction Duration" not in create.split("## Steps")[0]  # dataset fixed by the plan
    change_page = guide_dir / ui / "get-api-a.md"
    a_refused = "✗ update get-api-a" in result.output
    assert change_page.exists() == a_refused  # guided exactly when apply could not do it
    if a_refused:
        text = change_page.read_text(encoding="utf-8")
        assert "| `750 ms` | `700 ms` |" not in text
        assert "`900 ms` | `750 ms`" in text  # critical: old → new
        assert "change the existing" in text


def test_read_only_token_with_no_fallback_is_an_error(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(profile="self-hosted-25")
    policy = tmp_path / "shop.yaml"
    policy.write_text(policy_text(a_critical="750ms", extra=""), encoding="utf-8")
    guide_dir = tmp_path / "guide"
    result = run(emu, policy, "apply", "--auto-approve", "--backend", "alert-rules",
                 "--no-fallback", token=READ_ONLY_TOKEN, guide_dir=guide_dir)
    assert result.exit_code == 1, result.output
    assert "Sentry answered 403" in result.output
    assert not guide_dir.exists()
