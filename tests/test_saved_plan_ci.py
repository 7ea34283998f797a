"""docs/ci.md and .pre-commit-hooks.yaml stay usable: the YAML parses, every sentry-alerts
command they show uses options that exist, and the pre-commit hook validates policy files."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from typer.testing import CliRunner

from sentry_alerts.cli import app

ROOT = Path(__file__).resolve().parents[1]
CI_DOC = ROOT / "docs" / "ci.md"
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def test_every_yaml_example_in_ci_md_parses():
    blocks = yaml_blocks(CI_DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 3  # GitHub Actions, GitLab CI, pre-commit config
    github, gitlab, precommit = (yaml.safe_load(b) for b in blocks)
    assert set(github["jobs"]) == {"validate", "plan", "apply"}
    assert {"validate", "plan", "apply"} <= set(gitlab)
    assert precommit["repos"][0]["hooks"][0]["id"] == "sentry-alerts-validate"


def test_commands_in_ci_md_use_options_that_exist():
    text = CI_DOC.read_text(encoding="utf-8").replace("\\\n", " ")
    commands = re.findall(r"sentry-alerts (validate|plan|apply)\b([^\n;|>&]*)", text)
    assert {c for c, _ in commands} == {"validate", "plan", "apply"}
    helps = {c: CliRunner().invoke(app, [c, "--help"], env={"COLUMNS": "200"}).stdout
             for c in ("validate", "plan", "apply")}
    for command, args in commands:
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", args):
            assert flag in helps[command], f"`sentry-alerts {command} {flag}` in docs/ci.md"


def test_pre_commit_hook_runs_validate_on_policy_files():
    [hook] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "sentry-alerts-validate" and hook["language"] == "python"
    program, *args = hook["entry"].split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert program in scripts and args == ["validate"]
    files = re.compile(hook["files"])
    assert files.search("policies/critical-endpoints.yaml")
    assert not files.search(".github/workflows/sentry-alerts.yml")
    # What pre-commit runs: the entry followed by the changed files.
    exe = Path(sys.executable).with_name(program)
    ok = subprocess.run([str(exe), *args, "policies/critical-endpoints.yaml"], cwd=ROOT,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
