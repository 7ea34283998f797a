"""Prove the SLA under load with k6, from the same policy that makes the Sentry alerts.

    policy --(plan.load_load_test)--> LoadTestPlan --(script)--> k6 script
    k6 run --> summary JSON --(verify)--> per-endpoint PASS/FAIL against the SLA
           --> raw per-request JSON --(rehearse)--> when each Sentry alert would fire/resolve

`k6.py` finds and runs the k6 binary (the `sentry-alerts[loadtest]` extra, or k6 on PATH);
`sample_service.py` is a small local target with latency and error injection; `cli.py` holds the
thin `loadtest` and `sample-service` commands. Reference: docs/load-testing.md.
"""
