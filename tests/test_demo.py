"""`sentry-alerts demo` (what `make demo` runs): the whole loop against the embedded emulator,
explained, exit 0, and it never shows the token; then the load test with the real k6 against
the sample service: it passes, fails once latency is injected, and the rehearsal fires."""

from __future__ import annotations

import re

from k6_support import k6_binary
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.emulator import ALERTS_TOKEN


def test_demo_runs_the_whole_loop_and_explains_it():
    # The default profile; the legacy API's variant of the drift edit is covered by
    # test_e2e_plan_apply (edit_threshold_in_ui on alert rules).
    k6_binary()  # the load-test steps need it (`make demo` installs it); fail, don't skip
    result = CliRunner().invoke(app, ["demo"])
    out = result.output
    assert result.exit_code == 0, out

    commands = re.findall(r"^\$ sentry-alerts ((?:loadtest )?\w+)", out, flags=re.M)
    assert commands == ["validate", "plan", "apply", "plan", "drift", "apply", "plan",
                        "loadtest run", "loadtest run", "loadtest rehearse"]
    assert [int(c) for c in re.findall(r"\(exit code (\d)\)", out)] == [
        0, 0, 0, 0, 2, 0, 0, 0, 1, 0]
    steps = re.findall(r"── Step (\d): ([^─]+)", out)
    assert [n for n, _ in steps] == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]

    assert "Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged." in out
    assert "Apply complete: 2 created" in out
    assert out.count("Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged.") == 2
    assert "critical: 1000 ms → 750 ms" in out  # the UI edit shows as drift, then is repaired
    assert "ownership marker" in out and "--auto-approve" in out  # it explains, not just runs

    assert ALERTS_TOKEN not in out and "sntryu_" not in out

    # The load test: it passes, then POST /api/simulacao-credito gets 1200 ms slower.
    assert "PASSED: 2 endpoints kept their SLA." in out
    assert "$ curl -X POST http://127.0.0.1:" in out and "/api/v1/dev/chaos/latency" in out
    assert "FAILED: 1 of 2 endpoints failed: POST /api/simulacao-credito." in out
    assert re.search(r"FIRED critical: p95 = 1,2\d\d ms", out)
    assert "1 of 2 alerts would have fired: POST /api/simulacao-credito." in out
