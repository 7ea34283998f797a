"""`plan --format markdown`: the pull-request comment, parsed as a Markdown renderer would.

Unit tests on hand-built plans pin the escaping and the blocks; the golden test in
test_render_markdown_golden.py renders a plan made against the emulator through the real CLI.
"""

from __future__ import annotations

from dataclasses import replace

from alert_specs import alert_spec
from markdown_it import MarkdownIt

from sentry_alerts.model import AlertSpec, Marker, desired_alert
from sentry_alerts.plan import PLAN_FORMAT_VERSION, Change, Plan, diff_alerts
from sentry_alerts.render.markdown import (
    CONFLICT_COLUMNS,
    CREATE_COLUMNS,
    DELETE_COLUMNS,
    KEPT_COLUMNS,
    UNCHANGED_COLUMNS,
    UPDATE_COLUMNS,
    render_markdown,
)

POLICY = "shop"
WEIRD = "GET /api/a|b`c` *x* _y_ <b>z</b>"


def parse(markdown: str):
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def tables(markdown: str) -> list[dict]:
    """Every table as {"header": [...], "rows": [[...]], "in_quote": bool}, cell text as a
    reader sees it (inline children flattened, code spans included)."""
    tokens = parse(markdown)
    out: list[dict] = []
    quote_depth = 0
    current: dict | None = None
    row: list[str] | None = None
    for tok in tokens:
        if tok.type == "blockquote_open":
            quote_depth += 1
        elif tok.type == "blockquote_close":
            quote_depth -= 1
        elif tok.type == "table_open":
            current = {"header": [], "rows": [], "in_quote": quote_depth > 0}
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            row.append("".join(child.content for child in tok.children or ()
                               if child.type in ("text", "code_inline")))
        elif tok.type == "tr_close" and current is not None and row is not None:
            if not current["header"]:
                current["header"] = row
            else:
                current["rows"].append(row)
            row = None
        elif tok.type == "table_close" and current is not None:
            out.append(current)
            current = None
    return out


def html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def spec(key: str, transaction: str, critical: float = 750, **kw) -> AlertSpec:
    return alert_spec(**{"policy": POLICY, "key": key, "transaction": transaction,
                         "name": f"{transaction} p95", "critical_ms": critical, **kw})


def want(key: str, transaction: str, critical: float = 750, **kw):
    return desired_alert(spec(key, transaction, critical, **kw), "spans")


def live(alert, remote_id: str, **changes):
    return replace(alert, remote_id=remote_id, version="v1", **changes)


def make_plan(changes, **kw) -> Plan:
    values = dict(format_version=PLAN_FORMAT_VERSION, policy_name=POLICY,
                  policy_path="policies/shop.yaml", policy_hash="sha256:" + "ab" * 32,
                  org="acme", url="https://us.sentry.io", backend="monitors",
                  backend_reason="monitors: this server serves /detectors/ (auto)",
                  dataset="spans", dataset_reason="auto: spans", listing_complete=True,
                  created_at="2026-11-24T15:00:00Z", changes=tuple(changes))
    values.update(kw)
    return Plan(**values)


def every_kind() -> Plan:
    """A create (with the weird name), an update of a threshold and of the (long) runbook
    description, an unchanged alert, a conflict, an orphan and a duplicate, and a delete."""
    desired = [
        want("weird", WEIRD),
        want("cart", "GET /api/cart", critical=900, runbook="https://wiki/cart-v2"),
        want("same", "GET /api/same"),
        want("hand", "GET /api/hand"),
    ]
    old_cart = want("cart", "GET /api/cart", runbook="https://wiki/cart")
    live_alerts = [
        live(old_cart, "11", name=desired[1].name),
        live(desired[2], "12"),
        live(desired[3], "13", marker=None, description="made by hand"),
        live(want("gone", "GET /api/gone|old"), "14"),
    ]
    changes = list(diff_alerts(POLICY, desired, live_alerts))
    # A kept copy: what plans made before issue 12 said (diff_alerts now deletes copies);
    # the views still render the action of such saved plans.
    copy = live(desired[2], "15")
    changes.append(Change("duplicate", "same", copy.name, live=copy,
                          note="a second live alert carries this policy's marker for key same "
                               "(id 15); kept. sentry-alerts manages id 12; delete this copy "
                               "in Sentry."))
    gone = live(want("pruned", "GET /api/pruned`x`"), "16")
    changes.append(Change("delete", "pruned", gone.name, live=gone,
                          note="managed by this policy (key pruned) but no longer in it."))
    return make_plan(changes)


def test_first_line_is_the_stable_hidden_marker():
    text = render_markdown(every_kind())
    assert text.splitlines()[0] == "<!-- sentry-alerts-plan: shop acme -->"
    # An HTML comment: hidden when rendered.
    assert "sentry-alerts-plan" not in html(text).replace("<!-- sentry-alerts-plan", "")
    # Same policy and org, another run and other content: the same marker.
    other = make_plan((), created_at="2027-01-01T00:00:00Z")
    assert render_markdown(other).splitlines()[0] == text.splitlines()[0]


def test_summary_line_comes_first_and_counts_every_kind():
    text = render_markdown(every_kind())
    summary = [line for line in text.splitlines() if line.startswith("**")][0]
    assert summary == ("**1 to create · 1 to update · 1 to delete · 1 unchanged** · "
                       "1 conflict · 1 orphan kept · 1 duplicate kept")
    assert text.index(summary) < text.index("|")  # before any table


def test_one_table_per_kind_with_the_right_columns():
    found = tables(render_markdown(every_kind()))
    headers = [t["header"] for t in found]
    assert headers == [DELETE_COLUMNS, CREATE_COLUMNS, UPDATE_COLUMNS, CONFLICT_COLUMNS,
                       KEPT_COLUMNS, KEPT_COLUMNS, UNCHANGED_COLUMNS]
    for table in found:  # every row has exactly the header's cells (nothing split by a `|`)
        assert all(len(row) == len(table["header"]) for row in table["rows"]), table


def test_names_with_pipes_backticks_and_markup_survive_in_tables():
    text = render_markdown(every_kind())
    delete, create, *_ = tables(text)
    assert create["rows"][0][0] == f"{WEIRD} p95"
    assert create["rows"][0][4] == "p95(span.duration)"
    assert delete["rows"][0][0] == "GET /api/pruned`x` p95"
    rendered = html(text)
    assert "<b>z</b>" not in rendered and "&lt;b&gt;z&lt;/b&gt;" in rendered
    assert "<em>x</em>" not in rendered


def test_deletions_are_in_a_loud_warning_block_that_reads_without_alert_support():
    text = render_markdown(every_kind())
    lines = text.splitlines()
    start = lines.index("> [!WARNING]")
    assert lines[start + 1].startswith("> **This plan deletes 1 alert from Sentry**")
    [delete] = [t for t in tables(text) if t["in_quote"]]
    assert delete["header"] == DELETE_COLUMNS
    assert delete["rows"] == [["GET /api/pruned`x` p95", "pruned", "16",
                               "managed by this policy (key pruned) but no longer in it."]]
    # Before every other table: a reviewer cannot miss it.
    assert start < text.index("#### ➕ Create")


def test_field_changes_are_old_to_new_in_policy_terms_and_long_ones_are_folded():
    text = render_markdown(every_kind())
    [update] = [t for t in tables(text) if t["header"] == UPDATE_COLUMNS]
    assert update["rows"][0][:2] == ["GET /api/cart p95", "cart"]
    by_field = {row[2]: row[3:] for row in update["rows"]}
    assert by_field["critical"] == ["750 ms", "900 ms"]
    assert by_field["description"] == ["see below", "see below"]
    assert "<details><summary>GET /api/cart p95: description</summary>" in text
    assert "\n-Runbook: https://wiki/cart\n" in text and "\n+Runbook: https://wiki/cart-v2\n" in text


def test_orphans_say_prune_deletes_them_and_unchanged_alerts_are_folded():
    text = render_markdown(every_kind())
    assert "`--prune` deletes them." in text
    unchanged = text.split("<details><summary>1 unchanged alert</summary>", 1)[1]
    assert unchanged.split("</details>", 1)[0].count("GET /api/same p95") == 1


def test_no_changes_says_so():
    text = render_markdown(make_plan(()))
    assert "No changes: the live alerts match the policy." in text
    assert "[!WARNING]" not in text and tables(text) == []


def test_incomplete_listing_with_prune_says_loudly_that_pruning_was_skipped():
    orphan = live(want("gone", "GET /gone"), "9")
    plan = make_plan([Change("orphan", "gone", orphan.name, live=orphan, note="kept")],
                     listing_complete=False, prune=True,
                     listing_problems=("the list of monitors stopped after 100 items",))
    text = render_markdown(plan)
    assert "> [!CAUTION]" in text
    assert "**Pruning was skipped:**" in text
    assert "stopped after 100 items" in text
    assert "[!WARNING]" not in text  # nothing is deleted


def test_adoption_shows_the_marker_and_why():
    desired = [want("hand", "GET /api/hand")]
    hand = live(desired[0], "13", marker=None, description="made by hand")
    plan = make_plan(diff_alerts(POLICY, desired, [hand], adopt=True), adopt=True)
    text = render_markdown(plan)
    [update] = tables(text)
    assert update["rows"][0][2] == "description"
    assert "adopts the existing alert id 13" in text
    assert "with `--adopt`" in text


def test_other_policys_alert_in_a_conflict_is_named():
    desired = [want("a", "GET /a")]
    theirs = live(desired[0], "40", marker=Marker("payments", "a1"))
    text = render_markdown(make_plan(diff_alerts(POLICY, desired, [theirs])))
    [conflict] = tables(text)
    assert conflict["rows"][0][2] == "40 (policy payments)"


def test_folded_diff_titles_are_html_escaped_not_backslashed():
    desired = [want("weird", WEIRD, runbook="https://wiki/new")]
    old = live(want("weird", WEIRD, runbook="https://wiki/old"), "5")
    text = render_markdown(make_plan(diff_alerts(POLICY, desired, [old])))
    rendered = html(text)
    assert ("<summary>GET /api/a|b`c` *x* _y_ &lt;b&gt;z&lt;/b&gt; p95: description</summary>"
            in rendered)


def test_a_huge_plan_still_fits_in_one_github_comment():
    desired = [want(f"k{i:04d}", f"GET /api/item-{i:04d}") for i in range(1500)]
    gone = [live(want(f"old{i:03d}", f"GET /api/old-{i:03d}"), str(9000 + i)) for i in range(300)]
    changes = [replace(c, action="delete") if c.action == "orphan" else c
               for c in diff_alerts(POLICY, desired, gone)]
    plan = make_plan(changes, prune=True)
    full = render_markdown(plan, max_chars=10**9)
    assert len(full) > 65_536  # too long for GitHub as is
    text = render_markdown(plan)
    assert len(text) <= 60_000
    assert text.splitlines()[0] == "<!-- sentry-alerts-plan: shop acme -->"
    assert "**1500 to create · 0 to update · 300 to delete · 0 unchanged**" in text
    assert "> **This plan deletes 300 alerts from Sentry**" in text
    assert "too long for one comment" in text and "more rows" in text
    found = tables(text)
    assert [t["header"] for t in found] == [DELETE_COLUMNS, CREATE_COLUMNS]
    assert all(len(row) == len(t["header"]) for t in found for row in t["rows"])
    assert found[0]["in_quote"]
