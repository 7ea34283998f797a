"""`sentry-alerts loadtest run`: generate the script, run k6, keep its output, verify: the CI gate.

Everything lands in one folder (default `load-test-results/`): the script k6 ran, `summary.json`
(`--summary-export`) and `raw.json.gz` (one line per measured sample, `--out json=`), so a failed
run can be read again with `verify` and replayed with `rehearse`. Old results are removed
first: a run that dies before k6 writes its summary must not be judged by the previous one.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from sentry_alerts.errors import EXIT_ERROR, EXIT_OK, SentryAlertsError
from sentry_alerts.loadtest import k6 as k6_runner
from sentry_alerts.loadtest.model import LoadTestPlan, load_load_test
from sentry_alerts.loadtest.profiles import describe, total_ms
from sentry_alerts.loadtest.report import FORMATS, render_verification
from sentry_alerts.loadtest.script import render_script
from sentry_alerts.loadtest.summary import read_summary
from sentry_alerts.loadtest.verify import verify
from sentry_alerts.render import plural

SUMMARY_FILE = "summary.json"
RAW_FILE = "raw.json.gz"  # gzipped by k6: a soak test writes gigabytes of JSON lines


@dataclass(frozen=True)
class RunFiles:
    script: Path
    summary: Path
    raw: Path

    @staticmethod
    def under(folder: Path, policy_name: str) -> RunFiles:
        return RunFiles(folder / f"{policy_name}.js", folder / SUMMARY_FILE, folder / RAW_FILE)


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SentryAlertsError(f"the base URL {url!r} is not an http(s) URL; give the service's "
                                "address, e.g. --base-url https://staging.example.com")
    return url.rstrip("/")


def _base_url(plan: LoadTestPlan, given: str | None, environ: dict[str, str]) -> str:
    env = plan.settings.base_url_env
    url = given or environ.get(env)
    if not url:
        raise SentryAlertsError(
            f"which service should k6 load? Pass --base-url https://staging.example.com, or set "
            f"{env} (the policy's load_test.base_url_env). Try `sentry-alerts sample-service` "
            "for a local target.")
    return check_base_url(url)


def _check_auth(plan: LoadTestPlan, environ: dict[str, str]) -> None:
    auth = plan.settings.auth
    if auth is not None and not environ.get(auth.env):
        raise SentryAlertsError(
            f"the policy sends an {auth.header} header whose value k6 reads from {auth.env}, "
            f"which is not set; export {auth.env} (it is never written into the script or the "
            "results).")


def run_load_test(policy_path: Path, *, base_url: str | None, profile: str | None,
                  out_dir: Path, fmt: str, out: TextIO, err: TextIO, quiet: bool = False) -> int:
    """Exit 0 when every SLA held, 1 when one did not or k6 failed. With `quiet`, only the
    verdict is shown, and k6's own output only when k6 itself failed."""
    if fmt not in FORMATS:
        raise SentryAlertsError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}.")
    plan = load_load_test(policy_path)
    chosen = profile or plan.settings.profile
    if chosen not in plan.profiles:
        raise SentryAlertsError(f"unknown profile {chosen!r}; this policy offers "
                                f"{', '.join(plan.profiles)}.")
    environ = dict(os.environ)
    url = _base_url(plan, base_url, environ)
    _check_auth(plan, environ)
    k6 = k6_runner.find_k6()
    version = k6_runner.k6_version(k6)
    files = _prepare(out_dir, plan)
    files.script.write_text(render_script(plan, policy_path=policy_path.as_posix()),
                            encoding="utf-8")

    stages = plan.profiles[chosen]
    chatter = io.StringIO() if quiet else err
    chatter.write(f"Load test of policy {plan.policy.name}: "
                  f"{plural(len(plan.endpoints), 'endpoint')} at {url}, profile {chosen} "
                  f"({describe(stages)}), k6 {version} ({k6}).\nResults in {out_dir}/: "
                  f"{files.script.name}, {SUMMARY_FILE}, {RAW_FILE}.\n\n")
    # Quiet, k6's output is kept for when k6 fails (k6's own --no-summary would also stop
    # --summary-export, so its printed summary is dropped here instead).
    k6_output = io.StringIO() if quiet else err
    result = k6_runner.run_k6(k6, [
        "run", "--no-usage-report", *(["--quiet"] if quiet else []),
        "--summary-export", str(files.summary), "--out", f"json={files.raw}",
        "-e", f"{plan.settings.base_url_env}={url}", "-e", f"PROFILE={chosen}",
        str(files.script),
    ], timeout_s=total_ms(stages) / 1000 + k6_runner.GRACE_SECONDS, out=k6_output, env=environ)
    k6_failed = result.exit_code not in (0, k6_runner.EXIT_THRESHOLDS_FAILED)
    if isinstance(k6_output, io.StringIO) and (k6_failed or not files.summary.is_file()):
        err.write(k6_output.getvalue())
    chatter.write("\n")
    if not files.summary.is_file():
        raise SentryAlertsError(
            f"k6 exited with code {result.exit_code} ({result.meaning}) without writing a "
            "summary, so nothing was verified; its output above says why.")

    verification = verify(plan, read_summary(files.summary))
    out.write(render_verification(verification, fmt))
    out.flush()
    chatter.write(f"\nPer-request timings: {files.raw}; `sentry-alerts loadtest rehearse "
                  f"{policy_path} {files.raw}` shows when each Sentry alert would have fired.\n")
    if k6_failed:
        err.write(f"error: k6 exited with code {result.exit_code} ({result.meaning}); the "
                  "run does not count as a pass.\n")
        return EXIT_ERROR
    if result.exit_code == k6_runner.EXIT_THRESHOLDS_FAILED and verification.ok:
        err.write("error: k6 reports failed thresholds that the verdict above does not show; "
                  "the run does not count as a pass.\n")
        return EXIT_ERROR
    return EXIT_OK if verification.ok else EXIT_ERROR


def _prepare(out_dir: Path, plan: LoadTestPlan) -> RunFiles:
    files = RunFiles.under(out_dir, plan.policy.name)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in (files.summary, files.raw):
            old.unlink(missing_ok=True)
    except OSError as exc:
        raise SentryAlertsError(f"cannot use {out_dir} for the results "
                                f"({exc.strerror or exc}); pick another --out-dir.") from None
    return files
