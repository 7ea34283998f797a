"""The console script runs a plain `validate` without typer (console.py; issue 11): what a user
sees (output, errors, exit codes) must be exactly what typer's way gives, and anything else on
the line must go to typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sentry_alerts.console import plain_validate

GOOD = """\
version: 1
name: shop
defaults: {project: backend, notify: [{slack: "#ops"}]}
transactions:
  - {transaction: GET /a, sla: {p95: 500ms}, alert: {critical: 750ms}}
"""
WARNS = GOOD.replace("critical: 750ms", "critical: 400ms")
BAD = GOOD.replace("critical: 750ms", "critical: fast")
NO_TARGET = GOOD.replace(', notify: [{slack: "#ops"}]', "")


def _run(entry: str, args: list[str], cwd: Path) -> tuple[int, str, str]:
    code = (f"import sys; sys.argv = ['sentry-alerts', *{args!r}]\n"
            f"from sentry_alerts.{entry} import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("args", [
    ["validate", "good.yaml"],
    ["validate", "bad.yaml", "good.yaml"],
    ["validate", "--strict", "warns.yaml"],
    ["validate", "warns.yaml", "--format", "json"],
    ["validate", "--format=json", "--backend=alert-rules", "none.yaml"],
    ["validate", "--format", "xml", "good.yaml"],
    ["validate", "--backend", "bogus", "good.yaml"],
    ["validate", "true"],
    ["validate", "missing.yaml", "."],
])
def test_plain_validate_answers_as_typer_does(tmp_path: Path, args: list[str]) -> None:
    for name, text in (("good", GOOD), ("warns", WARNS), ("bad", BAD), ("none", NO_TARGET)):
        (tmp_path / f"{name}.yaml").write_text(text)
    assert plain_validate(args) is not None  # the case is one the console script reads
    assert _run("console", args, tmp_path) == _run("cli", args, tmp_path)


@pytest.mark.parametrize("args", [
    [], ["validate"], ["validate", "--help"], ["validate", "-h", "x"], ["validate", "--", "x"],
    ["validate", "--strict=yes", "x"], ["validate", "--format", "json", "--format", "text", "x"],
    ["validate", "--format"], ["validate", "--format", "--strict", "x"], ["validate", ""],
    ["plan", "x"], ["--max-policy-mb", "32", "validate", "x"],
])
def test_everything_else_goes_to_typer(args: list[str]) -> None:
    assert plain_validate(args) is None


def test_plain_validate_reads_its_options() -> None:
    assert plain_validate(["validate", "a.yaml", "--strict", "--backend", "monitors", "b"]) == (
        [Path("a.yaml"), Path("b")], True, "text", "monitors")
    assert plain_validate(["validate", "--format=json", "a"]) == ([Path("a")], False, "json",
                                                                 "auto")


def test_a_plain_validate_imports_neither_typer_nor_pydantic(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    code = ("import sys; sys.argv = ['sentry-alerts', 'validate', 'good.yaml']\n"
            "from sentry_alerts.console import main\nmain()\n")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0 and "ok: checked 1 file" in done.stdout, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "typer" not in imported and "pydantic" not in imported
