"""policy/plain.py reads the usual shapes of a policy without pydantic: whatever it accepts,
the pydantic models accept too, with the same values; the rest is left to them."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from sentry_alerts.policy import models, plain
from sentry_alerts.policy.transaction_spec import targets

TEXTS = st.sampled_from(["GET /api/a", "", "  ", "backend", "Back End", "production", "a/b",
                         "team:backend", "user:ann@example.com", "bob", "#ops-alerts", "#Ops",
                         "@ann", "ops alerts", "https://wiki/x", "{transaction} is slow", "p95",
                         "spans", "span", "5m", "1m", "7m", "1h", "750ms", "0.5s", "fast", "2",
                         "a" * 81, "x" * 120, "get-a", "C0123", "Acme"])
SCALARS = st.one_of(TEXTS, st.none(), st.booleans(), st.integers(-5, 2000),
                    st.floats(allow_nan=True, allow_infinity=True))
TARGET = st.one_of(
    st.dictionaries(st.sampled_from(["slack", "email", "sms"]), SCALARS, max_size=2),
    st.fixed_dictionaries({"slack": st.dictionaries(
        st.sampled_from(["channel", "channel_id", "workspace", "id"]), SCALARS, max_size=3)}),
    SCALARS)
# Valid values, so that most generated entries are valid but for one or two keys: a wrong
# acceptance shows only when everything else in the entry is right.
VALID = {
    "transaction": st.sampled_from(["GET /api/a", "POST /x"]),
    "id": st.sampled_from(["get-a", None, "a.b_c"]),
    "sla": st.sampled_from([{"p95": "500ms"}, {"p99": 1.5}, {"avg": "1s"}]),
    "alert": st.sampled_from([{"critical": "750ms"}, {"critical": 750, "warning": "600ms",
                                                      "metric": "p95"},
                              {"critical": "1s", "resolve": None}]),
    "dataset": st.sampled_from(["spans", None, "auto"]),
    "project": st.sampled_from(["backend", None]),
    "environment": st.sampled_from(["production", None]),
    "window": st.sampled_from(["5m", "1h", None]),
    "owner": st.sampled_from(["team:backend", "user:ann@example.com", None]),
    "notify": st.sampled_from([[{"slack": "#ops"}], [], None, [
        {"email": "team:backend"}, {"slack": {"channel": "#b", "channel_id": "C1"}}]]),
    "runbook": st.sampled_from(["https://x/y", None]),
    "name": st.sampled_from(["{transaction}", None]),
}
ANY = {
    "transaction": SCALARS, "id": SCALARS, "dataset": SCALARS, "project": SCALARS,
    "environment": SCALARS, "window": SCALARS, "owner": SCALARS, "runbook": SCALARS,
    "name": SCALARS,
    "notify": st.one_of(st.lists(TARGET, max_size=3), SCALARS),
    "sla": st.one_of(st.dictionaries(st.sampled_from(["p95", "p99", "avg", "p42"]), SCALARS,
                                     max_size=2), SCALARS),
    "alert": st.one_of(st.dictionaries(
        st.sampled_from(["critical", "warning", "resolve", "metric", "x"]), SCALARS,
        max_size=4), SCALARS),
}


# Values just outside the rules: what a reader that accepts too much would let through.
NEAR = {
    "transaction": ["", "  ", 5, None],
    "id": ["x" * 101, "bad id", "", 5],
    "sla": [{"p95": None}, {"p95": "fast"}, {"p95": 0}, {"p95": True}, {"p95": "-1s"},
            {"p95": "1s", "p99": "2s"}, {}, {"p42": "1s"}, {"p95": float("inf")}],
    "alert": [{"warning": "1s"}, {"critical": None}, {"critical": "1s", "metric": "p42"},
              {"critical": "1s", "x": 1}, {"critical": True}, {"critical": "1s", "metric": 95}],
    "dataset": ["span", 5, ""],
    "project": ["Back End", "", 5, "-x"],
    "environment": ["", "a/b", "x" * 65, "a\nb", 5],
    "window": ["7m", "5", 5, True, "0m", "1.5h"],
    "owner": ["bob", "team:Back", "user:x", 5, ""],
    "notify": [[{"email": "x"}], [{"slack": "#Ops"}], [{"slack": None}], [{"slack": ""}],
               [{"slack": {"channel": ""}}], [{"slack": {"channel": "#a", "id": "x"}}], [{}],
               ["x"], [{"slack": "#a", "email": "team:b"}], [{"slack": "a" * 81}],
               [{"slack": {"channel": "#a", "channel_id": ""}}], [{"sms": "x"}],
               [{"slack": {"channel": "#a", "workspace": 5}}], "x"],
    "runbook": ["", "  ", 5],
    "name": ["", " ", 5],
}


VALID_TRANSACTION = st.fixed_dictionaries(
    {"transaction": VALID["transaction"], "alert": VALID["alert"]},
    optional={k: VALID[k] for k in VALID if k not in ("transaction", "alert")})


@st.composite
def one_key_off(draw: st.DrawFn, valid: st.SearchStrategy, keys: list[str]) -> dict:
    """A valid mapping with one key set to a value just outside the rules, or any value, or an
    unknown key added: a wrong acceptance shows only when everything else is right."""
    item = dict(draw(valid))
    key = draw(st.sampled_from([*keys, "slaa"]))
    if key == "slaa":
        item[key] = draw(SCALARS)
    else:
        item[key] = draw(st.one_of(st.sampled_from(NEAR[key]), ANY[key], VALID[key]))
    return item


TRANSACTION = one_key_off(VALID_TRANSACTION, list(VALID))
DEFAULTS = one_key_off(st.fixed_dictionaries({}, optional={k: VALID[k] for k in plain.SETTINGS}),
                       list(plain.SETTINGS))
HEAD = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, 1, "1", 2, True, None]),
     "name": st.one_of(st.just("shop"), st.just("shop"), SCALARS),
     "transactions": st.one_of(st.just([]), st.just([]), SCALARS)},
    optional={"organization": st.one_of(st.just("acme"), SCALARS),
              "dataset": st.one_of(st.just("spans"), SCALARS),
              "defaults": st.one_of(DEFAULTS, DEFAULTS, SCALARS), "extra": SCALARS})


def same_settings(a: object, b: object) -> None:
    assert a.model_fields_set == b.model_fields_set  # type: ignore[attr-defined]
    for name in plain.SETTINGS:
        if name == "notify":
            if a.notify is None or b.notify is None:  # type: ignore[attr-defined]
                assert a.notify is b.notify is None  # type: ignore[attr-defined]
            else:
                assert targets(a.notify) == targets(b.notify)  # type: ignore[attr-defined]
        else:
            assert getattr(a, name) == getattr(b, name), name
            assert type(getattr(a, name)) is type(getattr(b, name)), name


@settings(max_examples=400, deadline=None)
@given(TRANSACTION)
def test_an_accepted_transaction_validates_the_same(item: dict) -> None:
    read = plain.read_transaction(item)
    if read is None:
        return
    model = models.Transaction.model_validate(item, strict=True)
    same_settings(read, model)
    for name in ("transaction", "id", "dataset", "load_test"):
        assert getattr(read, name) == getattr(model, name), name
    assert (read.sla is None) == (model.sla is None)
    if model.sla is not None:
        assert (read.sla.statistic(), read.sla.objective_ms()) == \
            (model.sla.statistic(), model.sla.objective_ms())
        assert read.sla.model_fields_set == model.sla.model_fields_set
    for name in ("critical", "warning", "resolve", "metric"):
        assert getattr(read.alert, name) == getattr(model.alert, name), name


@settings(max_examples=300, deadline=None)
@given(HEAD)
def test_an_accepted_top_level_validates_the_same(data: dict) -> None:
    read = plain.read_head(data)
    if read is None:
        return
    model = models.PolicyHead.model_validate(data, strict=True)
    for name in ("version", "name", "organization", "dataset", "load_test", "transactions"):
        assert getattr(read, name) == getattr(model, name), name
    assert (read.defaults is None) == (model.defaults is None)
    if model.defaults is not None:
        same_settings(read.defaults, model.defaults)


def test_usual_shapes_are_read_plainly() -> None:
    """The tests above would pass if plain.py accepted nothing: it accepts the usual shapes."""
    item = {"transaction": "GET /a", "id": "a", "sla": {"p95": "500ms"},
            "alert": {"critical": "750ms", "warning": 600, "metric": "p95"}, "window": "10m",
            "notify": [{"slack": "#ops"}, {"slack": {"channel": "#b", "channel_id": "C1"}},
                       {"email": "team:backend"}], "project": "backend", "environment": None,
            "owner": "user:ann@example.com", "runbook": "https://x/y", "name": "{key}",
            "dataset": "spans"}
    assert plain.read_transaction(item) is not None
    head = {"version": 1, "name": "shop", "organization": "acme", "dataset": "auto",
            "defaults": {"project": "backend", "notify": [{"slack": "#ops"}]},
            "transactions": [item]}
    assert plain.read_head(head) is not None
    assert tuple(models.Defaults.model_fields) == plain.SETTINGS


def test_a_valid_policy_is_checked_without_importing_pydantic(tmp_path) -> None:
    """What keeps `validate` of a large policy fast (issue 11: importing pydantic and
    building the models cost as much as checking 2,000 transactions)."""
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nname: shop\ndefaults:\n  project: backend\n  notify:\n"
                    '    - slack: "#ops-alerts"\ntransactions:\n'
                    "  - transaction: GET /api/a\n    sla: {p95: 500ms}\n"
                    "    alert: {critical: 750ms, warning: 600ms}\n")
    code = ("import sys\nfrom sentry_alerts.policy.loader import check_path\n"
            f"result = check_path({str(path)!r})\n"
            "print('SPECS', len(result.policy.specs), 'pydantic' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert "SPECS 1 False" in done.stdout, done.stdout + done.stderr
