"""The demo's load-test steps: the SLA holds under load, then latency is injected and the load
test fails, and the rehearsal shows the Sentry alert firing on the test's own timings.

They run the real k6 (a few seconds of the smoke profile per run) against the sample service,
started in this process on a free port of 127.0.0.1; the results go to a temporary folder that
is removed afterwards. Without k6 the steps are skipped, saying how to install it.
"""

from __future__ import annotations

import json
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from sentry_alerts.loadtest.sample_service import CHAOS_LATENCY, run_sample_service

SLOW_ENDPOINT = "POST /api/simulacao-credito"
INJECTED_MS = 1200


def load_test_steps(demo: Any, *, first_step: int, policy: str) -> None:
    """`demo` is the demo's `Demo` (say, step, run, out)."""
    from sentry_alerts.loadtest.k6 import K6Missing, find_k6

    demo.step(first_step, "prove the SLA under load with k6")
    try:
        find_k6()
    except K6Missing as exc:
        demo.say(f"Skipped: {exc.message}")
        return
    with run_sample_service(latency_ms=20) as service, \
            tempfile.TemporaryDirectory(prefix="sentry-alerts-demo-") as tmp:
        results = str(Path(tmp) / "load-test-results")
        demo.say(f"""
            The same policy also proves the SLA before a deploy. `loadtest run` writes a k6
            script from it (one group per endpoint, each SLA as a threshold), runs the real k6
            and judges the summary; exit 0 when every SLA holds, 1 when one does not, which
            makes it a CI gate. The target is `sentry-alerts sample-service` on {service.url},
            answering in about 20 ms; the smoke profile runs two virtual users for 5 seconds
            (the default, ramp, goes to 50 users for four and a half minutes).
            """)
        demo.run("loadtest", "run", policy, "--base-url", service.url, "--profile", "smoke",
                 "--out-dir", results, "--quiet")

        demo.step(first_step + 1, "inject latency: the load test fails")
        demo.say(f"""
            Now {SLOW_ENDPOINT} gets {INJECTED_MS} ms slower (the sample service's chaos
            endpoint), and the same command names the endpoint that broke its SLA and exits 1.
            """)
        _inject_latency(demo, service.url)
        demo.run("loadtest", "run", policy, "--base-url", service.url, "--profile", "smoke",
                 "--out-dir", results, "--quiet", expect=(1,))

        demo.step(first_step + 2, "rehearse the alert on the test's timings")
        demo.say("""
            Would Sentry's alert have caught it? `rehearse` replays every request's timing from
            k6's raw output through each alert's rule, as Sentry evaluates it (p95 over the last
            5 minutes, every minute), and prints when it would fire and resolve.
            """)
        demo.run("loadtest", "rehearse", policy, str(Path(results) / "raw.json.gz"))


def _inject_latency(demo: Any, base_url: str) -> None:
    settings = {"ms": INJECTED_MS, "seconds": 120, "endpoint": SLOW_ENDPOINT}
    body = json.dumps(settings)
    demo.out.write(f"$ curl -X POST {base_url}{CHAOS_LATENCY} -d '{body}'\n")
    request = urllib.request.Request(f"{base_url}{CHAOS_LATENCY}", data=body.encode(),
                                     method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        demo.out.write("  " + answer.read().decode() + "\n\n")
    demo.out.flush()
