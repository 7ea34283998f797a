"""The CLI's last line of defence: an unexpected exception is one paragraph, never a traceback,
and never carries the token."""

from __future__ import annotations

import pytest
import typer

from sentry_alerts.cli_runner import run_command


def _boom(message: str):
    def body() -> int:
        raise RuntimeError(message)

    return body


def test_unexpected_exception_is_one_paragraph_without_traceback(capsys):
    with pytest.raises(typer.Exit) as exit_info:
        run_command(_boom("disk on fire"))
    assert exit_info.value.exit_code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: sentry-alerts failed unexpectedly (RuntimeError: disk on fire)")
    assert "This is a bug in sentry-alerts" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_unexpected_exception_never_shows_the_token(capsys, monkeypatch):
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", "my-secret-token-value")
    with pytest.raises(typer.Exit):
        run_command(_boom("header was Bearer my-secret-token-value and sntrys_abc123XYZ"))
    err = capsys.readouterr().err
    assert "my-secret-token-value" not in err
    assert "sntrys_abc123XYZ" not in err
    assert "<token>" in err


def test_debug_variable_shows_the_real_exception(monkeypatch):
    monkeypatch.setenv("SENTRY_ALERTS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="disk on fire"):
        run_command(_boom("disk on fire"))
