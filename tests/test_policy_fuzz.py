"""Whatever a file holds, `validate` answers with findings and exit 0 or 1, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.policy.loader import check_bytes

runner = CliRunner()

KEYS = ["version", "name", "defaults", "transactions", "transaction", "sla", "alert", "critical",
        "warning", "resolve", "metric", "window", "notify", "slack", "email", "project", "id",
        "p95", "owner", "dataset", "<<", "environment", "runbook", "channel"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.sampled_from(["750ms", "1.5s", "5m", "7m", "#ops", "team:x", "p95", "spans", "{x}", "", "~",
                     "&a", "*a", "!!binary", "- x", "{", "]", "\t", "\x00", "é", "GET /a"]),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=20,
)


def to_yamlish(value: object, indent: int = 0) -> str:
    """A YAML-looking rendering that is often, but not always, valid YAML."""
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(f"{pad}{k}:\n{to_yamlish(v, indent + 2)}" if isinstance(v, dict | list)
                       else f"{pad}{k}: {v}\n" for k, v in value.items()) or f"{pad}{{}}\n"
    if isinstance(value, list):
        return "".join(f"{pad}- {to_yamlish(v, indent + 2).lstrip()}" for v in value) or f"{pad}[]\n"
    return f"{pad}{value}\n"


def assert_clean_run(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        path.write_bytes(raw)
        for fmt in ("text", "json"):
            result = runner.invoke(app, ["validate", "--format", fmt, str(path)])
            assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert "Traceback" not in result.output
            assert "internal-error" not in result.output, result.output


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw: bytes) -> None:
    assert_clean_run(raw)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    assert_clean_run(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_yaml_shaped_documents(doc: dict) -> None:
    raw = to_yamlish(doc).encode("utf-8", "surrogatepass")
    result = check_bytes(raw, "p.yaml")  # in-process: any exception fails the test
    assert all(d.line >= 1 and d.col >= 1 and d.message for d in result.diagnostics)
    assert_clean_run(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({}, optional={
    "transaction": SCALARS, "id": SCALARS, "sla": VALUES, "alert": VALUES, "name": SCALARS,
    "window": SCALARS, "notify": VALUES, "dataset": SCALARS}), max_size=4))
def test_mutated_transactions(items: list[dict]) -> None:
    doc = {"version": 1, "name": "fuzz", "defaults": {"project": "backend"}, "transactions": items}
    result = check_bytes(to_yamlish(doc).encode("utf-8", "surrogatepass"), "p.yaml")
    for d in result.diagnostics:
        assert d.severity in ("error", "warning") and d.code and d.line >= 1


# Near-valid policies: each key is right or wrong in a typical way, so the checks that run after
# a partial failure (broken defaults, broken head, broken transactions) are exercised together.
NEAR_DEFAULTS = st.fixed_dictionaries({}, optional={
    "project": st.sampled_from(["backend", "Back End", 5]),
    "notify": st.sampled_from([[{"slack": "#a"}], [], "x", [{"slak": "#a"}]]),
    "window": st.sampled_from(["5m", "1m", "7m", 5]),
    "name": st.sampled_from(["'{transaction}'", "'{x}'", 5, "'{sla}'"]),
    "notfy": st.just("x"), "environment": st.sampled_from(["production", None, "a/b"]),
    "owner": st.sampled_from(["team:backend", "backend"])})
NEAR_TRANSACTION = st.fixed_dictionaries({
    "transaction": st.sampled_from(["GET /a", "GET /a", "get a", "/", 5]),
    "alert": st.sampled_from([{"critical": "750ms"}, {"critical": "1s", "metric": "p99"}, {},
                              {"critical": "400ms", "warning": "800ms", "resolve": "900ms"}]),
}, optional={
    "id": st.sampled_from(["a", "b", "a b"]),
    "sla": st.sampled_from([{"p95": "500ms"}, {"p95": "1s", "p99": "2s"}, {}, "x", {"p95": None}]),
    "window": st.sampled_from(["5m", "1m", "x"]), "dataset": st.sampled_from(["spans", "auto", "x"]),
    "name": st.sampled_from(["'{transaction}'", "'{sla}'", "'{x'", "{transaction}"]),
    "environment": st.sampled_from(["production", None, "a/b"]),
    "notify": st.sampled_from([[{"slack": "#a"}], []]), "project": st.sampled_from(["b", "B"])})
NEAR_POLICY = st.fixed_dictionaries({
    "version": st.sampled_from([1, 1, 2, "1"]), "name": st.sampled_from(["s", "s", "s x", 5]),
    "defaults": st.one_of(NEAR_DEFAULTS, NEAR_DEFAULTS, SCALARS),
    "transactions": st.one_of(st.lists(NEAR_TRANSACTION, min_size=1, max_size=4), SCALARS),
}, optional={"dataset": st.sampled_from(["auto", "spans", "span"]), "organization": SCALARS,
             "extra": SCALARS})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NEAR_POLICY)
def test_near_valid_policies(doc: dict) -> None:
    result = check_bytes(to_yamlish(doc).encode("utf-8", "surrogatepass"), "p.yaml")
    assert (result.policy is None) == any(d.severity == "error" for d in result.diagnostics)
