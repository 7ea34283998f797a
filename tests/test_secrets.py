"""The token goes only to the configured Sentry (scheme, host and port), over verified TLS, and
appears in no output: not stdout, stderr, plan files, guides, JSON or logs (issue 12).

Hosts the token must never reach are stub servers that record every request's headers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from stub_server import json_answer, stub_server
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN
from sentry_alerts.emulator.state import Token
from sentry_alerts.sentry.client import SentryClient
from sentry_alerts.sentry.connect import _same_site

POLICY = """\
version: 1
name: secrets
organization: acme
defaults:
  project: backend
  environment: production
  notify:
    - slack: {channel: "#ops-alerts", channel_id: C0OPS00001}
transactions:
  - transaction: GET /api/secret
    sla: {p95: 500ms}
    alert: {critical: 750ms}
"""


def cli(*args: str, url: str, token: str = ALERTS_TOKEN):
    env = {"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": token, "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def policy(tmp_path) -> Path:
    path = tmp_path / "secrets.yaml"
    path.write_text(POLICY)
    return path


def test_region_urls_are_followed_only_to_the_configured_origin_or_sentry_io():
    assert _same_site("https://sentry.io", "https://us.sentry.io")
    assert _same_site("https://acme.sentry.io", "https://de.sentry.io")
    assert _same_site("https://sentry.example.com", "https://sentry.example.com/")
    assert _same_site("https://sentry.example.com", "https://sentry.example.com:443")
    assert _same_site("http://127.0.0.1:9000", "http://127.0.0.1:9000")
    # another port or host of the same machine, a subdomain of a self-hosted Sentry
    assert not _same_site("http://127.0.0.1:9000", "http://127.0.0.1:9001")
    assert not _same_site("https://sentry.example.com", "https://sentry.example.com:8443")
    assert not _same_site("https://sentry.example.com", "https://evil.sentry.example.com")
    assert not _same_site("https://sentry.example.com", "https://evil.example.net")
    # look-alikes and downgrades
    assert not _same_site("https://sentry.io", "https://notsentry.io")
    assert not _same_site("https://sentry.io", "https://sentry.io.evil.net")
    assert not _same_site("https://sentry.io", "http://us.sentry.io")
    assert not _same_site("https://sentry.io", "https://us.sentry.io:8443")
    assert not _same_site("https://sentry.example.com", "https://us.sentry.io")
    assert not _same_site("https://sentry.io", "https://sentry.io:notaport")
    assert not _same_site("https://sentry.io", "ftp://us.sentry.io")


@pytest.mark.parametrize("region", ["other-port", "other-host"])
def test_the_token_never_follows_a_region_url_elsewhere(emulator, policy, region):
    with stub_server() as elsewhere:
        port = elsewhere.url.rsplit(":", 1)[1]
        emulator.region_url = elsewhere.url if region == "other-port" else \
            f"http://localhost:{port}"
        result = cli("plan", str(policy), url=emulator.url)
    assert result.exit_code == 0, result.output
    assert "+ create" in result.output or "create" in result.output
    assert elsewhere.requests == [], "the token was sent to a region URL on another origin"


def test_the_token_never_follows_a_link_header_or_a_redirect_elsewhere():
    with stub_server() as elsewhere:
        def sentry(method, path, headers):
            if path.startswith("/api/0/redirected/"):
                return 302, {"Location": elsewhere.url + "/api/0/x/"}, b""
            page = "2" if "cursor=" in path else "1"
            nxt = "" if page == "2" else (
                f'<{elsewhere.url}/api/0/list/?cursor=0:100:0>; rel="next"; results="true"; '
                'cursor="0:100:0"')
            return json_answer([{"id": page}], **({"Link": nxt} if nxt else {}))

        with stub_server(sentry) as stub:
            client = SentryClient(stub.url, ALERTS_TOKEN, org="acme")
            pages = list(client.paginate("/api/0/list/"))
            with pytest.raises(Exception) as redirected:
                client.get("/api/0/redirected/")
    assert [p[0]["id"] for p in pages] == ["1", "2"]  # the next page came from Sentry itself
    assert "redirects to" in str(redirected.value) and ALERTS_TOKEN not in str(redirected.value)
    assert elsewhere.requests == []


def test_insecure_is_loud(emulator, policy):
    result = cli("plan", str(policy), "--insecure", url=emulator.url)
    assert result.exit_code == 0, result.output
    assert "--insecure has no effect" in result.stderr


def test_plain_http_to_another_machine_needs_insecure_and_then_warns(policy, caplog):
    from sentry_alerts.sentry.transport import check_transport

    refused = cli("plan", str(policy), url="http://sentry.example.com")
    assert refused.exit_code == 1 and "--insecure" in refused.output
    with caplog.at_level("WARNING", logger="sentry_alerts.sentry"):
        check_transport("http://sentry.example.com", insecure=True, ca_bundle=None)
    assert "sent over plain http:// to sentry.example.com" in caplog.text


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_bad_ca_bundle_is_one_clear_sentence(emulator, policy, tmp_path, content):
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_text(content)
    result = cli("plan", str(policy), "--ca-bundle", str(bundle), url=emulator.url)
    assert result.exit_code == 1
    assert "--ca-bundle" in result.output and "Traceback" not in result.output


@pytest.fixture
def self_signed(tmp_path) -> tuple[str, str]:
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return str(cert), str(key)


def test_tls_is_verified_and_ca_bundle_trusts_a_private_authority(policy, self_signed):
    cert, key = self_signed
    with stub_server(certfile=cert, keyfile=key) as sentry:
        unverified = cli("plan", str(policy), "--no-fallback", url=sentry.url)
        assert unverified.exit_code == 1
        assert "certificate verify failed" in unverified.output
        assert sentry.authorizations() == []  # no token before the certificate is trusted
        trusted = cli("plan", str(policy), "--no-fallback", "--ca-bundle", cert, url=sentry.url)
    assert "certificate" not in trusted.output and trusted.exit_code == 1  # 404: not Sentry
    assert sentry.authorizations() == [f"Bearer {ALERTS_TOKEN}"]


CANARY = "sntryu_canary_5ecret_c4n4ry_0000000000"


def test_a_canary_token_appears_in_no_output(emulator, policy, tmp_path):
    """Every command and output form, success and failure, with a token that must never show:
    stdout, stderr, -v logs, plan files (JSON), Markdown, guides."""
    emulator.state.tokens[CANARY] = Token(CANARY, emulator.state.tokens[ALERTS_TOKEN].scopes,
                                          emulator.state.tokens[ALERTS_TOKEN].user_id, "canary")
    saved, guide = tmp_path / "plan.json", tmp_path / "guide"
    outputs = []
    for args in (["validate", str(policy)],
                 ["plan", str(policy), "-v", "--format", "json", "--out", str(saved)],
                 ["plan", str(policy), "--format", "markdown"],
                 ["apply", str(saved), "-v"],
                 ["apply", str(policy), "--auto-approve", "--token", CANARY],
                 ["plan", str(policy), "--url", emulator.url + "/nowhere"],
                 ["plan", str(policy), "--url", "http://127.0.0.1:9"],
                 ["guide", str(policy), "--out", str(guide)]):
        result = cli(*args, url=emulator.url, token=CANARY)
        outputs.append((args, result.output + (result.stderr or "")))
    emulator.faults.error_burst(30, route="organizations.get")
    failed = cli("plan", str(policy), "-v", "--retry-budget", "1", url=emulator.url, token=CANARY)
    outputs.append((["plan under 5xx"], failed.output))
    for args, text in outputs:
        assert CANARY not in text, f"the token is in the output of {args}"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert saved in written and any(p.suffix == ".md" for p in written)
    for path in written:
        assert CANARY not in path.read_text(errors="replace"), f"the token is in {path}"
