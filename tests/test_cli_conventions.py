"""The command line's conventions, as a user meets them: help without type placeholders, a
fast `--help` (no rich, no pydantic), `--version`, shell completion, and every environment
variable the tool reads documented in `--help` or the README."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from sentry_alerts import __version__
from sentry_alerts.cli import app

COMMANDS = ("validate", "schema", "emulator", "demo", "plan", "apply", "guide", "monitoring-plan",
            "sample-service", "loadtest", "loadtest script", "loadtest run", "loadtest verify",
            "loadtest rehearse", "import", "drift")


def test_every_command_is_in_these_checks():
    import typer.main

    group = typer.main.get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    names |= {f"loadtest {n}" for n in group.commands["loadtest"].commands}  # type: ignore
    assert names == set(COMMANDS)


def help_text(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_no_type_placeholders(command):
    text = help_text(*command.split())
    # typer's defaults: `--strict <bool>`, `--format <str>`, `paths... <list[Path]>`, `{policy}`
    assert not re.search(r"<(bool|str|int|float|path|list\[[^\]]*\])>", text, re.I), text
    assert "{" not in text.splitlines()[0], text.splitlines()[0]


def test_options_that_take_a_value_name_it():
    text = help_text("apply")
    for shown in ("--parallelism N", "--url URL", "--org SLUG", "--token TOKEN",
                  "--backend BACKEND", "--retry-budget SECONDS", "--guide-dir DIR"):
        assert shown in text
    assert "Usage: sentry-alerts apply [OPTIONS] POLICY" in text
    assert "Usage: sentry-alerts validate [OPTIONS] PATH..." in help_text("validate")


def test_a_flag_given_a_value_says_flags_take_none(tmp_path):
    result = CliRunner().invoke(app, ["validate", "--strict", "true", str(tmp_path)])
    assert result.exit_code == 1
    assert "flags such as --strict take no value" in result.stderr
    assert "Traceback" not in result.output


def test_help_imports_neither_rich_nor_pydantic():
    """What keeps `--help` fast (benchmarks/bench_startup.py measures it)."""
    code = (
        "import sys\n"
        "from sentry_alerts.cli import main\n"
        f"for args in [[], *[c.split() for c in {COMMANDS!r}]]:\n"
        "    sys.argv = ['sentry-alerts', *args, '--help']\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('IMPORTED', sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'pydantic'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert "IMPORTED []" in done.stdout, done.stdout[-500:] + done.stderr


@pytest.mark.parametrize("args", [
    ["plan", "--detailed-exitcode", "true", "policy.yaml"],  # a flag given a value
    ["plan", "--bogus", "policy.yaml"],
    ["plann"],
    ["apply", "--parallelism", "abc", "policy.yaml"],
    ["plan"],
])
def test_usage_errors_exit_1_never_2_which_means_changes_found(args):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "Traceback" not in result.output


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"sentry-alerts {__version__}\n"


def test_shell_completion_is_offered_and_completes_commands_and_options():
    assert "--install-completion" in help_text()
    env = {**os.environ, "_SENTRY_ALERTS_COMPLETE": "complete_bash"}
    script = [str(Path(sys.executable).with_name("sentry-alerts"))]  # the installed command

    def complete(words: str) -> list[str]:
        cword = str(len(words.split()) - 1)
        done = subprocess.run(script, capture_output=True, text=True, timeout=60, check=False,
                              env={**env, "COMP_WORDS": words, "COMP_CWORD": cword})
        return done.stdout.split()

    assert complete("sentry-alerts pl") == ["plan"]
    assert complete("sentry-alerts plan --det") == ["--detailed-exitcode"]


def test_every_environment_variable_the_tool_reads_is_documented():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "sentry_alerts").rglob("*.py"))
    read = set(re.findall(r"""(?:environ\.get|getenv|envvar=|environ\[)\(?\s*["']([A-Z_]+)["']""",
                          source))
    assert {"SENTRY_AUTH_TOKEN", "SENTRY_URL", "SENTRY_ORG", "NO_COLOR"} <= read
    documented = help_text() + (ROOT / "README.md").read_text(encoding="utf-8")
    # What requests reads for us (TLS and proxies) is part of the tool's behaviour too.
    for name in sorted(read | {"REQUESTS_CA_BUNDLE", "HTTPS_PROXY"}):
        assert name in documented, f"{name} is read but neither --help nor README names it"


@pytest.mark.parametrize(("annotation", "values"), [
    (str, ["x", "", " a b ", 5]),
    (int, ["5", "007", " 5", "1_000", "+5", "-0", "-12", "abc", "", "9" * 30, 5, True]),
    (float, ["2.5", "5", "-0.5", "1e3", " 1", "inf", "nan", "x", 5, 2.5]),
    (Path, ["", "a/b", " x ", Path("y"), 5]),
    (list[Path], [("a", "b"), ["a"], (), ("", "a")]),
    (list[str], [("a", "b"), [], ("a", 5)]),
    (bool, [True, False, "true", 1]),
])
def test_plain_conversion_agrees_with_typers_own(annotation, values):
    """cli_coercion converts simple values without pydantic; what it converts, it converts as
    typer's TypeAdapter does, and the rest is left to typer (its errors unchanged)."""
    pydantic = pytest.importorskip("pydantic")
    from sentry_alerts.cli_coercion import UNSURE, plain_value

    adapter = pydantic.TypeAdapter(annotation)
    for value in values:
        plain = plain_value(annotation, value)
        if plain is UNSURE:
            continue
        assert plain == adapter.validate_python(value), value
        assert type(plain) is type(adapter.validate_python(value)), value


def test_running_validate_and_plan_reads_options_without_pydantic(tmp_path):
    """typer converts every option through pydantic; cli_coercion keeps that off the path of
    `validate` and of a command's options (issue 11: 0.13 s of imports)."""
    code = (
        "import sys\n"
        "from sentry_alerts.cli import app\n"
        "from sentry_alerts import cli_coercion\n"
        "import typer.main\n"
        "group = typer.main.get_command(app)\n"
        "ctx = group.make_context('sentry-alerts', ['--max-policy-mb', '16', 'plan', 'p.yaml'])\n"
        "sub = group.commands['plan']\n"
        "sub.make_context('plan', ['p.yaml', '--retry-budget', '30', '--url', 'http://x'],"
        " parent=ctx)\n"
        "print('IMPORTED', 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60, cwd=tmp_path)
    assert "IMPORTED False" in done.stdout, done.stdout[-500:] + done.stderr
