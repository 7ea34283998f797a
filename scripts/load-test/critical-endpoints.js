// k6 load test for the policy critical-endpoints (policies/critical-endpoints.yaml), written by
// `sentry-alerts loadtest script`. Edit the policy and generate it again: changes made
// here are lost.
//
// Run: sentry-alerts loadtest run policies/critical-endpoints.yaml --base-url https://staging.example.com
// or:  k6 run -e BASE_URL=https://staging.example.com --summary-export summary.json <this file>
// -e PROFILE=smoke|ramp|soak|burst picks the load profile (default: ramp).
// Each endpoint's SLA is a threshold on the requests of its group; k6 exits with code 99
// when one fails.

import http from 'k6/http';
import { check, group, sleep } from 'k6';

const BASE_URL = (__ENV.BASE_URL || '').replace(/\/+$/, '');
if (!BASE_URL) {
  throw new Error("BASE_URL is not set: run with -e BASE_URL=https://your-service");
}

// Load profiles: k6 stages (VUs = virtual users, starting from 1).
const PROFILES = {
  "smoke": [{ duration: "1s", target: 2 }, { duration: "4s", target: 2 }],
  "ramp": [{ duration: "1m", target: 50 }, { duration: "3m", target: 50 }, { duration: "30s", target: 0 }],
  "soak": [{ duration: "2m", target: 50 }, { duration: "1h", target: 50 }, { duration: "2m", target: 0 }],
  "burst": [{ duration: "30s", target: 5 }, { duration: "5s", target: 50 }, { duration: "1m", target: 50 }, { duration: "5s", target: 5 }, { duration: "30s", target: 5 }, { duration: "10s", target: 0 }],
};
const PROFILE = __ENV.PROFILE || "ramp";
if (!PROFILES[PROFILE]) {
  throw new Error(`unknown PROFILE ${PROFILE}; use one of: ${Object.keys(PROFILES).join(', ')}`);
}

export const options = {
  stages: PROFILES[PROFILE],
  // every statistic the policy's SLAs and alerts use (p(99) is absent otherwise)
  summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)"],
  thresholds: {
    // GET /api/propostas: SLA p95 < 500 ms; the Sentry alert fires at p95 > 750 ms over 5m
    "http_req_duration{group:::GET /api/propostas}": ["p(95)<500"],
    "http_req_failed{group:::GET /api/propostas}": ["rate<=0.01"],
    "http_reqs{group:::GET /api/propostas}": ["count>0"],
    // POST /api/simulacao-credito: SLA p95 < 500 ms; the Sentry alert fires at p95 > 750 ms over 5m
    "http_req_duration{group:::POST /api/simulacao-credito}": ["p(95)<500"],
    "http_req_failed{group:::POST /api/simulacao-credito}": ["rate<=0.01"],
    "http_reqs{group:::POST /api/simulacao-credito}": ["count>0"],
  },
};

export default function () {
  group("GET /api/propostas", () => {
    const res = http.request("GET", BASE_URL + "/api/propostas", null, {
      headers: {},
      tags: { name: "GET /api/propostas" },
      responseCallback: http.expectedStatuses({ min: 200, max: 299 }),  // other statuses count as failed requests
    });
    check(res, { "status is 2xx": (r) => r.status >= 200 && r.status <= 299 });
  });

  group("POST /api/simulacao-credito", () => {
    const body = JSON.stringify({"valor": 10000, "prazo_meses": 24});
    const res = http.request("POST", BASE_URL + "/api/simulacao-credito", body, {
      headers: { "Content-Type": "application/json" },
      tags: { name: "POST /api/simulacao-credito" },
      responseCallback: http.expectedStatuses({ min: 200, max: 299 }),  // other statuses count as failed requests
    });
    check(res, { "status is 2xx": (r) => r.status >= 200 && r.status <= 299 });
  });

  sleep(1);  // think time between iterations
}
