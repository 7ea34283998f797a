"""The `loadtest` commands and `sample-service`: parse arguments, call the library.

`register_commands(app, run_command)` adds them to the main app; `run_command` (errors as one
paragraph and an exit code) is passed in, so this module does not import the main CLI. Only
typer is imported here: the library is imported inside each command, keeping `--help` fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sentry_alerts.cli_help import PlainCommand, PlainGroup

PolicyArg = Annotated[Path, typer.Argument(metavar="POLICY", help="The policy file.")]
RunCommand = Callable[[Callable[[], int | None]], None]


def register_commands(app: typer.Typer, run_command: RunCommand) -> None:
    loadtest = typer.Typer(
        name="loadtest", no_args_is_help=True, add_completion=False, cls=PlainGroup,
        help="Prove the policy's SLAs under load with k6: script, run, verify, rehearse the "
             "alerts (docs/load-testing.md).")

    @loadtest.command("script", cls=PlainCommand)
    def script(
        policy: PolicyArg,
        out: Annotated[Path | None, typer.Option(
            "--out", metavar="FILE", help="Write the script here (e.g. scripts/load-test/critical-endpoints.js) "
            "instead of printing it.")] = None,
    ) -> None:
        """Write the k6 script: one group per transaction, the SLAs as thresholds."""

        def body() -> int:
            from sentry_alerts.loadtest.model import load_load_test
            from sentry_alerts.loadtest.script import render_script
            from sentry_alerts.output_files import write_output
            from sentry_alerts.render import plural

            plan = load_load_test(policy)
            text = render_script(plan, policy_path=policy.as_posix())
            if out is None:
                typer.echo(text, nl=False)
                return 0
            write_output(out, text)
            typer.echo(f"Wrote {out} ({plural(len(plan.endpoints), 'endpoint')}); run it with "
                       f"`sentry-alerts loadtest run {policy} --base-url URL`.", err=True)
            return 0

        run_command(body)

    @loadtest.command("run", cls=PlainCommand)
    def run(
        policy: PolicyArg,
        base_url: Annotated[str | None, typer.Option(
            "--base-url", metavar="URL", help="The service under test; default: the variable named by the "
            "policy's load_test.base_url_env (BASE_URL).", show_default=False)] = None,
        profile: Annotated[str | None, typer.Option(
            "--profile", metavar="PROFILE", help="smoke, ramp (default), soak, burst, or one the policy defines.",
            show_default=False)] = None,
        out_dir: Annotated[Path, typer.Option(
            "--out-dir", metavar="DIR", help="Where the script, summary.json and raw.json.gz go.")] = Path(
            "load-test-results"),
        fmt: Annotated[str, typer.Option("--format", metavar="FORMAT",
                                         help="text, markdown or json.")] = "text",
        quiet: Annotated[bool, typer.Option(
            "--quiet", help="Hide k6's progress and its own summary (its errors still show).")
        ] = False,
    ) -> None:
        """Run k6 against the service and verify every SLA: exit 0 when all hold, 1 if not."""

        def body() -> int:
            from sentry_alerts.loadtest.run import run_load_test

            return run_load_test(policy, base_url=base_url, profile=profile, out_dir=out_dir,
                                 fmt=fmt, out=sys.stdout, err=sys.stderr, quiet=quiet)

        run_command(body)

    @loadtest.command("verify", cls=PlainCommand)
    def verify(
        policy: PolicyArg,
        summary: Annotated[Path, typer.Argument(metavar="SUMMARY", help="k6's summary: --summary-export or "
                                                "handleSummary JSON.")],
        fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text, markdown (a pull-request "
                                         "comment) or json.")] = "text",
    ) -> None:
        """Judge a k6 summary against the policy's SLAs: exit 0 when all hold, 1 if not."""

        def body() -> int:
            from sentry_alerts.errors import SentryAlertsError
            from sentry_alerts.loadtest.model import load_load_test
            from sentry_alerts.loadtest.report import FORMATS, render_verification
            from sentry_alerts.loadtest.summary import read_summary
            from sentry_alerts.loadtest.verify import verify as verify_summary

            if fmt not in FORMATS:
                raise SentryAlertsError(f"unknown --format {fmt!r}; use one of "
                                        f"{', '.join(FORMATS)}.")
            verification = verify_summary(load_load_test(policy), read_summary(summary))
            typer.echo(render_verification(verification, fmt), nl=False)
            return 0 if verification.ok else 1

        run_command(body)

    @loadtest.command("rehearse", cls=PlainCommand)
    def rehearse(
        policy: PolicyArg,
        raw: Annotated[Path, typer.Argument(metavar="RAW", help="k6's per-request output (--out json=FILE, "
                                            "or FILE.gz).")],
        fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text or json.")] = "text",
    ) -> None:
        """Replay the test's timings through each Sentry alert: when would it fire, resolve?"""

        def body() -> int:
            from sentry_alerts.errors import SentryAlertsError
            from sentry_alerts.loadtest.model import load_load_test
            from sentry_alerts.loadtest.rehearse import read_raw
            from sentry_alerts.loadtest.rehearse import rehearse as replay
            from sentry_alerts.loadtest.rehearse_report import FORMATS, render_json, render_text

            if fmt not in FORMATS:
                raise SentryAlertsError(f"unknown --format {fmt!r}; use one of "
                                        f"{', '.join(FORMATS)}.")
            report = replay(load_load_test(policy), read_raw(raw))
            typer.echo(render_json(report) if fmt == "json" else render_text(report), nl=False)
            return 0

        run_command(body)

    app.add_typer(loadtest, name="loadtest")

    @app.command("sample-service", cls=PlainCommand)
    def sample_service(
        port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port on 127.0.0.1 (0 = a free one).")
                        ] = 8080,
        latency_ms: Annotated[float, typer.Option("--latency-ms", metavar="MS", help="How long each request "
                                                  "takes before chaos is added.")] = 20.0,
    ) -> None:
        """Serve the example endpoints locally, with latency and error injection (chaos)."""

        def body() -> int:
            from sentry_alerts.loadtest.sample_service import serve

            return serve(port=port, latency_ms=latency_ms)

        run_command(body)
