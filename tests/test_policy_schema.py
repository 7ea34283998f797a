"""`sentry-alerts schema` and its copy in policies/, used by editors via yaml-language-server."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from sentry_alerts.cli import app

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "policies" / "policy.schema.json"
EXAMPLES = sorted((ROOT / "policies").glob("*.yaml"))


def printed_schema() -> dict:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_copy_in_policies_matches_the_command() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == printed_schema(), (
        "policies/policy.schema.json is stale: run `sentry-alerts schema > policies/policy.schema.json`")


def test_schema_is_valid_draft_2020_12() -> None:
    schema = printed_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_policies_validate_and_point_editors_at_the_schema(example: Path) -> None:
    text = example.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=./policy.schema.json"
    jsonschema.validate(yaml.safe_load(text), printed_schema())


@pytest.mark.parametrize(("patch", "path"), [
    ({"transactionz": []}, []),
    ({"version": 2}, ["version"]),
    ({"dataset": "span"}, ["dataset"]),
    ({"name": "my shop"}, ["name"]),
    ({"defaults": {"owner": "backend"}}, ["defaults", "owner"]),
    ({"defaults": {"window": 5}}, ["defaults", "window"]),
    ({"defaults": {"notify": [{"slack": "#a", "email": "team:x"}]}}, ["defaults", "notify", 0]),
    ({"transactions": [{"transaction": "GET /a", "alert": {"critical": "fast"}}]},
     ["transactions", 0, "alert", "critical"]),
    ({"transactions": [{"transaction": "GET /a", "alert": {"critical": 5}, "sla": {}}]},
     ["transactions", 0, "sla"]),
])
def test_schema_rejects_what_editors_should_flag(patch: dict, path: list) -> None:
    doc = yaml.safe_load(EXAMPLES[0].read_text()) | patch
    errors = list(jsonschema.Draft202012Validator(printed_schema()).iter_errors(doc))
    assert errors
    assert any(list(e.absolute_path)[: len(path)] == path for e in errors), [
        (list(e.absolute_path), e.message) for e in errors]
