"""The policy's optional `load_test` sections, as `validate` and the JSON Schema see them.

Every case is a whole policy run through the real `sentry-alerts validate`: the line, the exit
code and the words a person needs to fix it.
"""

from __future__ import annotations

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.policy.schema import policy_schema

runner = CliRunner()

HEAD = """\
version: 1
name: shop
defaults:
  project: backend
  notify:
    - slack: "#ops-alerts"
"""  # 6 lines

GOOD = HEAD + """\
load_test:
  base_url_env: STAGING_URL
  auth: {env: LOAD_TEST_TOKEN}
  headers: {Accept: application/json}
  expected_status: [200, 201]
  profile: nightly
  vus: 20
  think_time: 500ms
  max_error_rate: 0.5%
  profiles:
    nightly: [{duration: 30s, target: 20}, {duration: 10m, target: 20}, {duration: 30s, target: 0}]
transactions:
  - transaction: GET /api/propostas/{id}
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    load_test: {params: {id: 42}, query: {expand: true}}
  - transaction: POST /api/simulacao-credito
    sla: {p95: 500ms}
    alert: {critical: 750ms}
    load_test:
      body: {valor: 10000, prazo_meses: 24}
      headers: {X-Request-Source: load-test}
  - transaction: tasks.send_email
    alert: {critical: 2s, metric: p95}
    load_test: {skip: true}
"""


def validate(text: str, tmp_path) -> tuple[int, str]:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["validate", str(path)])
    return result.exit_code, result.output


def test_a_full_load_test_section_validates(tmp_path) -> None:
    code, out = validate(GOOD, tmp_path)
    assert code == 0, out
    assert "0 errors, 0 warnings" in out


def test_the_schema_accepts_it_and_flags_a_misspelt_key() -> None:
    schema = policy_schema()
    doc = yaml.safe_load(GOOD)
    jsonschema.validate(doc, schema)
    doc["load_test"]["profle"] = "smoke"
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert any(list(e.absolute_path) == ["load_test"] for e in errors)


BAD = [
    ("credential-header", HEAD + "load_test:\n  headers: {Authorization: Bearer abc}\n"
     "transactions: []\n", 8,
     ["`Authorization` looks like a credential", "auth: {env: LOAD_TEST_TOKEN"]),
    ("api-key-header-per-transaction", HEAD + "transactions:\n  - transaction: GET /a\n"
     "    alert: {critical: 1s, metric: p95}\n    load_test: {headers: {X-Api-Key: k}}\n", 10,
     ["`X-Api-Key` looks like a credential"]),
    ("unknown-profile", HEAD + "load_test: {profile: quick}\ntransactions: []\n", 7,
     ["profile 'quick'", "smoke, ramp, soak, burst"]),
    ("missing-path-param", HEAD + "transactions:\n  - transaction: GET /api/propostas/:id\n"
     "    alert: {critical: 1s, metric: p95}\n    load_test: {query: {a: 1}}\n", 8,
     ["parameter id with no value", "params: {id: 42}"]),
    ("unused-param", HEAD + "transactions:\n  - transaction: GET /api/propostas\n"
     "    alert: {critical: 1s, metric: p95}\n    load_test: {params: {id: 1}}\n", 8,
     ["params id do not appear in the path", "query:"]),
    ("not-a-request", HEAD + "transactions:\n  - transaction: tasks.send_email\n"
     "    alert: {critical: 1s, metric: p95}\n    load_test: {headers: {Accept: x}}\n", 8,
     ["not `METHOD /path`", "skip: true"]),
    ("bad-status", HEAD + "load_test: {expected_status: [200, 99]}\ntransactions: []\n", 7,
     ["99 is not an HTTP status"]),
    ("bad-env-name", HEAD + "load_test: {base_url_env: base-url}\ntransactions: []\n", 7,
     ["'base-url' is not an environment variable name"]),
    ("error-rate-over-100", HEAD + "load_test: {max_error_rate: 120%}\ntransactions: []\n", 7,
     ["between 0% and 100%"]),
    ("misspelt-key", HEAD + "load_test: {base_url: https://x}\ntransactions: []\n", 7,
     ["unknown key `base_url`", "did you mean `base_url_env`"]),
    ("in-defaults", HEAD.replace("defaults:\n", "defaults:\n  load_test: {vus: 5}\n")
     + "transactions: []\n", 4, ["`load_test` belongs at the top level", "or in a transaction"]),
    ("bad-method", HEAD + "transactions:\n  - transaction: /api/a\n"
     "    alert: {critical: 1s, metric: p95}\n    load_test: {method: FETCH}\n", 10,
     ["must be one of", "GET"]),
]


@pytest.mark.parametrize(("text", "line", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_mistakes_are_errors_with_line_and_fix(tmp_path, text: str, line: int,
                                               words: list[str]) -> None:
    code, out = validate(text, tmp_path)
    assert code == 1, out
    error_lines = [ln for ln in out.splitlines() if ": error: " in ln]
    assert any(f"policy.yaml:{line}:" in ln and all(w in ln for w in words)
               for ln in error_lines), out
    assert "Traceback" not in out
