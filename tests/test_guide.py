"""The manual setup guide: golden pages for both UIs, and proof that every value a person is
told to enter is the value `apply` would use (`model.desired_alert`).

Golden files: tests/golden/guide/. Regenerate after an intended change with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_guide.py` and review the diff.
"""

from __future__ import annotations

import pytest
from conftest import POLICIES
from guide_support import (
    EDGE_POLICY,
    all_code_spans,
    check_golden,
    fences,
    inline_parts,
    parse,
    section_tokens,
    tables,
)

from sentry_alerts.guide import GENERATED_MARK, GuideItem, build_guide
from sentry_alerts.model import EmailTarget, SlackTarget, desired_alert
from sentry_alerts.policy import load_policy, load_policy_text

# Sentry's labels for the window selects (sentry-ui-and-sdk-notes.md §2 and §3.1), written out
# here independently of the code under test.
LEGACY_WINDOWS = {"1 minute interval": 1, "5 minute interval": 5, "10 minute interval": 10,
                  "15 minute interval": 15, "30 minute interval": 30, "1 hour interval": 60,
                  "2 hour interval": 120, "4 hour interval": 240, "24 hour interval": 1440}
NEW_WINDOWS = {"5 minutes": 5, "10 minutes": 10, "15 minutes": 15, "30 minutes": 30,
               "1 hour": 60, "2 hours": 120, "4 hours": 240, "1 day": 1440}
# What each choice in a UI means as a dataset.
CHOICE_DATASET = {"Duration": "spans", "Transaction Duration": "transactions",
                  "Spans": "spans", "Transactions": "transactions"}
# Code spans a page may contain besides the alert's own values.
COMMANDS = {"sentry-alerts plan", "sentry-alerts apply", "sentry-alerts apply --adopt",
            "sentry-alerts validate", "dataset:", "auto", "window: 5m", "code"}


def example_policy():
    return load_policy(POLICIES / "critical-endpoints.yaml")


def edge_policy():
    return load_policy_text(EDGE_POLICY, "edge.yaml")


@pytest.mark.parametrize("which", ["critical-endpoints", "edge-cases"])
def test_guide_pages_match_golden_files(which: str) -> None:
    policy = example_policy() if which == "critical-endpoints" else edge_policy()
    path = "policies/critical-endpoints.yaml" if which == "critical-endpoints" else "edge.yaml"
    guide = build_guide(policy, ui="both", policy_path=path)
    expected_pages = {"index.md"} | {f"{ui}/{s.key}.md" for ui in ("alerts", "monitors")
                                     for s in policy.specs}
    assert set(guide.pages) == expected_pages
    for rel, text in sorted(guide.pages.items()):
        check_golden(f"guide/{which}/{rel}", text)


def test_ui_option_limits_the_pages() -> None:
    policy = example_policy()
    assert {p.split("/")[0] for p in build_guide(policy, ui="alerts").pages} == {"index.md",
                                                                                 "alerts"}
    monitors = build_guide(policy, ui="monitors")
    assert {p.split("/")[0] for p in monitors.pages} == {"index.md", "monitors"}
    # With one UI, the index does not explain how to choose between two.
    assert "Which UI do I have?" not in monitors.pages["index.md"]
    assert "Which UI do I have?" in build_guide(policy).pages["index.md"]


def _table_by_label(tokens) -> tuple[list[str], dict[str, list]]:
    """The 'Values to copy' table: the column headers and, per row label, its value cells."""
    table = tables(section_tokens(tokens, "Values to copy"))[0]
    header = [inline_parts(c) for c in table[0]]
    rows = {row[0].content: row[1:] for row in table[1:]}
    return header, rows


def _number_or_none(cell) -> float | None:
    parts = inline_parts(cell)
    if not parts["code"]:
        assert "leave empty" in parts["text"] or parts["strong"] in (["Default"], ["Automatic"]), \
            parts
        return None
    return float(parts["code"][0])


def _targets_from_notifications(tokens) -> tuple:
    found = []
    for table in tables(tokens):
        if [c.content for c in table[0]][:2] != ["#", "Action"]:
            continue
        for row in table[1:]:
            action = inline_parts(row[1])["strong"][0]
            recipient = inline_parts(row[3])
            if action == "Slack":
                ws = inline_parts(row[2])["code"]
                cid = inline_parts(row[4])["code"]
                found.append(SlackTarget(recipient["code"][0], cid[0] if cid else None,
                                         ws[0] if ws else None))
            else:
                kind = "team" if recipient["text"].startswith("Team") else "user"
                found.append(EmailTarget(kind, recipient["code"][0]))
    return tuple(sorted(found, key=lambda t: (t.kind, t.describe())))


def _owner_from(cell) -> str | None:
    parts = inline_parts(cell)
    if not parts["code"]:
        return None
    text = parts["text"]
    if "user" in text or text.startswith("member"):
        return "user:" + parts["code"][0]
    return "team:" + parts["code"][0]


@pytest.mark.parametrize("make_policy", [example_policy, edge_policy], ids=["example", "edge"])
@pytest.mark.parametrize("ui", ["alerts", "monitors"])
def test_every_value_on_a_page_is_what_apply_would_create(make_policy, ui: str) -> None:
    """For each spec and each dataset column, the values to copy equal desired_alert's fields,
    and the steps use no value that is not among them."""
    policy = make_policy()
    guide = build_guide(policy, ui=ui)
    checked_columns = 0
    for spec in policy.specs:
        tokens = parse(guide.pages[f"{ui}/{spec.key}.md"])
        header, rows = _table_by_label(tokens)
        allowed: set[str] = set(COMMANDS)
        for col, head in enumerate(header[1:]):
            choice = head["strong"][0] if head["strong"] else \
                inline_parts(rows["Alert type" if ui == "alerts" else "Dataset"][col])["strong"][0]
            want = desired_alert(spec, CHOICE_DATASET[choice] if spec.dataset == "auto"
                                 or CHOICE_DATASET[choice] == "spans" else spec.dataset)

            def cell(label: str, col: int = col, rows=rows):
                return rows[label][col]

            def code(label: str, col: int = col, rows=rows) -> str:
                return inline_parts(rows[label][col])["code"][0]

            name_label = "Alert name" if ui == "alerts" else "Monitor name"
            assert code(name_label) == want.name
            assert code("Project") == want.project
            env = inline_parts(cell("Environment"))
            assert (env["code"] or [None])[0] == want.environment
            if want.environment is None:
                assert env["strong"] == ["All Environments"]
            assert f"{code('Function')}({code('Attribute')})" == want.aggregate
            assert code("Filter") == want.query
            window = inline_parts(cell("Time window" if ui == "alerts" else "Interval"))
            if window["strong"]:
                labels = LEGACY_WINDOWS if ui == "alerts" else NEW_WINDOWS
                assert labels[window["strong"][0]] == want.window_minutes
            else:  # not offered: only allowed where Sentry really has no such window
                assert want.dataset == "spans" and want.window_minutes < 5
            crit, warn, res = (("Critical", "Warning", "Resolved") if ui == "alerts"
                               else ("High priority", "Medium priority", "Resolve"))
            assert _number_or_none(cell(crit)) == want.critical_ms
            assert _number_or_none(cell(warn)) == want.warning_ms
            assert _number_or_none(cell(res)) == want.resolve_ms
            owner_label = "Team" if ui == "alerts" else "Default assignee"
            if ui == "alerts" and want.owner and want.owner.startswith("user:"):
                # The legacy team selector cannot take a user; the page says so.
                assert "not settable here" in inline_parts(cell(owner_label))["text"]
            else:
                assert _owner_from(cell(owner_label)) == want.owner
            allowed |= {c for r in rows.values() for c in inline_parts(r[col])["code"]}
            checked_columns += 1
        # Targets and description are the same for every dataset.
        want = desired_alert(spec, "spans")
        assert _targets_from_notifications(tokens) == tuple(
            sorted(want.targets, key=lambda t: (t.kind, t.describe())))
        assert want.description in fences(tokens)
        allowed |= {c for t in tables(tokens) for r in t for c in inline_parts(r[0])["code"]}
        allowed |= {c for t in tables(tokens) for r in t for cell_ in r
                    for c in inline_parts(cell_)["code"]}
        allowed |= {spec.transaction, spec.policy, spec.key, want.aggregate,
                    desired_alert(spec, "transactions").aggregate}
        steps = section_tokens(tokens, "Steps")
        used = set(all_code_spans(steps))
        assert used <= allowed, f"values in the steps that are not in the table: {used - allowed}"
        # The key values are in the steps themselves, not only in the table.
        assert want.name in used
        preferred = spec.dataset if spec.dataset != "auto" else "spans"
        assert desired_alert(spec, preferred).query in used
        assert f"{want.critical_ms:g}" in used
    assert checked_columns >= len(policy.specs)


def test_legacy_page_gives_both_filters_when_the_dataset_is_auto() -> None:
    spec = example_policy().specs[0]
    page = build_guide(example_policy(), ui="alerts").pages[f"alerts/{spec.key}.md"]
    assert "`is_transaction:true transaction:\"GET /api/propostas\"`" in page
    assert "`transaction:\"GET /api/propostas\"`" in page
    assert "If you picked **Duration**" in page and "If you picked **Transaction Duration**" in page


def test_short_window_is_flagged_not_silently_changed() -> None:
    policy = edge_policy()
    spec = next(s for s in policy.specs if s.window_minutes == 1)
    guide = build_guide(policy)
    new_ui = guide.pages[f"monitors/{spec.key}.md"]
    assert "There is no 1-minute interval" in new_ui and "`window: 5m`" in new_ui
    legacy = guide.pages[f"alerts/{spec.key}.md"]
    assert "**1 minute interval**" in legacy  # Transaction Duration offers it
    assert "**Duration** does not offer a 1-minute window" in legacy


def test_pipes_and_backticks_in_a_transaction_name_render_intact() -> None:
    policy = edge_policy()
    spec = policy.specs[0]
    assert "|" in spec.transaction and "`" in spec.transaction
    guide = build_guide(policy)
    index = parse(guide.pages["index.md"])
    table = tables(section_tokens(index, "Alerts"))[0]
    assert len(table[0]) == 8  # the `|` did not split the row into more columns
    assert all(len(row) == 8 for row in table)
    assert inline_parts(table[1][2])["code"] == [spec.transaction]
    page = parse(guide.pages[f"monitors/{spec.key}.md"])
    assert spec.name in all_code_spans(page)


def test_read_only_items_guide_only_the_differences() -> None:
    policy = example_policy()
    first, second = policy.specs
    items = [
        GuideItem("unchanged", first, first.name, live_name=first.name),
        GuideItem("update", second, second.name,
                  changes=(("critical_ms", "900 ms", "750 ms"), ("targets", "Slack #old",
                                                                  "Slack #ops-alerts")),
                  live_name=second.name),
        GuideItem("orphan", None, "GET /api/old: p95 > 750 ms", note="no longer in the policy"),
    ]
    guide = build_guide(policy, ui="monitors", items=items, reason="the token cannot write",
                        policy_path="policies/critical-endpoints.yaml")
    assert set(guide.pages) == {"index.md", f"monitors/{second.key}.md"}
    page = guide.pages[f"monitors/{second.key}.md"]
    tokens = parse(page)
    table = tables(tokens)[0]
    assert [c.content for c in table[0]] == ["Where", "Now in Sentry", "Change to"]
    assert [inline_parts(r[1])["code"] + inline_parts(r[2])["code"] for r in table[1:]] == [
        ["900 ms", "750 ms"], ["Slack #old", "Slack #ops-alerts"]]
    assert "**High priority** threshold" in page
    index = guide.pages["index.md"]
    assert "Already correct in Sentry" in index and f"`{first.name}`" in index
    assert "GET /api/old" in index and "the token cannot write" in index
    check_golden("guide/read-only/monitors-change.md", page)
    check_golden("guide/read-only/index.md", index)


def test_write_replaces_pages_of_an_earlier_run(tmp_path) -> None:
    policy = example_policy()
    build_guide(policy).write(tmp_path)
    stale = tmp_path / "alerts" / "removed-key.md"
    stale.write_text(GENERATED_MARK + "\n\nold", encoding="utf-8")  # a page it wrote
    mine = tmp_path / "notes.md"  # not ours: kept
    mine.write_text("mine", encoding="utf-8")
    build_guide(policy).write(tmp_path)
    assert not stale.exists() and mine.exists()
    assert (tmp_path / "alerts" / f"{policy.specs[0].key}.md").is_file()


def test_guide_command_writes_the_pages(tmp_path) -> None:
    from typer.testing import CliRunner

    from sentry_alerts.cli import app

    out = tmp_path / "g"
    result = CliRunner().invoke(app, ["guide", str(POLICIES / "critical-endpoints.yaml"),
                                      "--out", str(out), "--ui", "monitors"])
    assert result.exit_code == 0, result.output
    assert "Wrote the manual setup guide (3 pages)" in result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md")) == [
        "index.md", "monitors/get-api-propostas.md", "monitors/post-api-simulacao-credito.md"]
    bad = CliRunner().invoke(app, ["guide", str(POLICIES / "critical-endpoints.yaml"),
                                   "--out", str(tmp_path / "h"), "--ui", "classic"])
    assert bad.exit_code == 1 and "use alerts" in bad.output
    assert not (tmp_path / "h").exists()
