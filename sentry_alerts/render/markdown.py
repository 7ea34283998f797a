"""The plan as a pull-request comment (`plan --format markdown`), for GitHub and GitLab.

Read top to bottom, a reviewer sees in this order: the one-line summary, what will be deleted
(in a loud warning block), then one table per kind of change, in the policy's terms. Long
values (descriptions, queries over several lines) are folded in `<details>` with a diff.

The first line is a hidden marker, `<!-- sentry-alerts-plan: POLICY ORG -->`, that stays the
same from run to run so a CI job can find and update its previous comment (docs/ci.md).

Portability: only CommonMark + GFM tables, `<details>`, and an HTML comment, which GitHub and
GitLab both render. The warning block is GitHub's alert syntax (`> [!WARNING]`), which GitLab
renders as an alert too (since 17.x) and older renderers show as a quote whose own text
("This plan deletes …") still reads as a warning. Alert and transaction names are free text:
every name goes through `_text` / `_code`, which escape `|`, backticks, `*`, `_`, `<` and the
rest, so a name can never break a table or turn into markup.
"""

from __future__ import annotations

import difflib
import html

from sentry_alerts.diff import FIELD_LABELS, format_field
from sentry_alerts.guide.markdown import code, fenced, text
from sentry_alerts.model import Alert
from sentry_alerts.plan_data import Change, Plan
from sentry_alerts.render import kept_counts, plural
from sentry_alerts.visible_text import visible

MARKER_PREFIX = "<!-- sentry-alerts-plan:"
# A value longer than this, or over several lines, is folded in <details> instead of a cell.
LONG_VALUE = 80
# GitHub refuses comments over 65,536 characters (GitLab notes allow 1,000,000): a longer plan
# drops its folded details, then shows the first rows of each table and says how many more.
MAX_COMMENT_CHARS = 60_000

# Table columns per kind of change (tests check them; docs/plan-format.md shows an example).
CREATE_COLUMNS = ["Alert", "Key", "Project", "Environment", "Metric", "Critical", "Warning",
                  "Window", "Notify"]
UPDATE_COLUMNS = ["Alert", "Key", "Field", "Before", "After"]
DELETE_COLUMNS = ["Alert", "Key", "Sentry id", "Why"]
CONFLICT_COLUMNS = ["Alert", "Key", "Live alert", "Why"]
KEPT_COLUMNS = ["Alert", "Key", "Sentry id", "Why"]  # orphans and duplicates
UNCHANGED_COLUMNS = ["Alert", "Key", "Sentry id"]


def comment_marker(plan: Plan) -> str:
    """The hidden, stable first line: same policy and org -> same marker, run after run."""
    return f"{MARKER_PREFIX} {plan.policy_name} {plan.org} -->"


def _text(value: str) -> str:
    """Free text (names, notes) for prose and table cells: Markdown syntax escaped, one line.

    `text()` escapes `|` as `\\|`, which GFM tables (GitHub, GitLab) and markdown-it all read
    as a literal pipe inside a cell."""
    return text(value.replace("\r", " ").replace("\n", " ")) if value else ""


def _html(value: str) -> str:
    """Text inside raw HTML (`<summary>`), where Markdown escapes would show as backslashes."""
    return html.escape(visible(value.replace("\r", " ").replace("\n", " ")))


def _code(value: str) -> str:
    """A value in a code span, safe in a table cell (GFM splits cells on `|` even in code)."""
    return code(value).replace("|", "\\|")


def _cell_value(value: str) -> str:
    return _code(value) if value and value != "none" else "—"


def _table(header: list[str], rows: list[list[str]], prefix: str = "",
           max_rows: int | None = None) -> list[str]:
    shown = rows if max_rows is None else rows[:max_rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in shown]
    if len(shown) < len(rows):
        lines += ["", f"*… and {len(rows) - len(shown)} more rows: the full plan is in "
                      "`plan --format text` or `--format json`.*"]
    return [prefix + line if line or prefix.strip() else line for line in lines]


def summary_line(plan: Plan) -> str:
    """`**1 to create · 2 to update · 1 to delete · 3 unchanged** · 1 conflict · 2 orphans kept`"""
    s = plan.summary()
    main = (f"**{s['create']} to create · {s['update']} to update · {s['delete']} to delete · "
            f"{s['unchanged']} unchanged**")
    return " · ".join([main, *kept_counts(s)])


def _is_long(value: str) -> bool:
    return "\n" in value or len(value) > LONG_VALUE


def _name(change: Change) -> str:
    return _text(change.name) or "—"


def _id(change: Change) -> str:
    return _code(change.remote_id) if change.remote_id else "—"


def _metric(alert: Alert, plan: Plan) -> str:
    """The aggregate, and the dataset where the transaction asks for another than the plan's."""
    own = f" on {_code(alert.dataset)}" if alert.dataset != plan.dataset else ""
    return _code(alert.aggregate) + own


def _own_datasets(plan: Plan) -> str:
    """` (1 alert on `metrics`)` when alerts use another dataset than the policy's, else ''."""
    counts: dict[str, int] = {}
    for c in plan.changes:
        if c.desired is not None and c.desired.dataset != plan.dataset:
            counts[c.desired.dataset] = counts.get(c.desired.dataset, 0) + 1
    return (" (" + ", ".join(f"{plural(n, 'alert')} on {_code(d)}"
                             for d, n in sorted(counts.items())) + ")") if counts else ""


def _create_rows(changes: tuple[Change, ...], plan: Plan) -> list[list[str]]:
    rows = []
    for c in changes:
        a = c.desired
        assert a is not None
        rows.append([_name(c), _code(c.key), _cell_value(a.project or "none"),
                     _cell_value(a.environment or "all environments"), _metric(a, plan),
                     _cell_value(format_field("critical_ms", a.critical_ms)),
                     _cell_value(format_field("warning_ms", a.warning_ms)),
                     _cell_value(format_field("window_minutes", a.window_minutes)),
                     _text(format_field("targets", a.targets))])
    return rows


def _all_values(alert: Alert) -> list[str]:
    """Every compared field of a new alert, as a bullet list (folded under the create table)."""
    lines = []
    for name, label in FIELD_LABELS.items():
        if name == "enabled":
            continue  # a new alert is always enabled
        value = format_field(name, getattr(alert, name))
        if "\n" in value:
            lines.append(f"- {label}:")
            lines.append("")
            lines += ["  " + line for line in fenced(value).splitlines()]
            lines.append("")
        else:
            lines.append(f"- {label}: {code(value) if value != 'none' else 'none'}")
    return lines


def _value_diff(old: str, new: str) -> str:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "before", "after",
                                lineterm="", n=2)
    return fenced("\n".join(diff), "diff")


def _update_rows(changes: tuple[Change, ...],
                 details: bool = True) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    folded: list[str] = []
    for c in changes:
        fields = c.fields or ()
        if not fields:  # adoption without differences: only the marker is written
            rows.append([_name(c), _code(c.key), "marker", "—", "managed by this policy"])
            continue
        for i, f in enumerate(fields):
            label = FIELD_LABELS.get(f.field, f.field)
            first = [_name(c), _code(c.key)] if i == 0 else ["", ""]
            if (_is_long(f.old) or _is_long(f.new)) and not details:
                rows.append([*first, label, "*long value*", "*see the full plan*"])
            elif _is_long(f.old) or _is_long(f.new):
                rows.append([*first, label, "*see below*", "*see below*"])
                # <summary> is raw HTML (no Markdown inside): HTML-escape, not backslashes.
                folded += ["", f"<details><summary>{_html(c.name)}: {label}</summary>",
                           "",
                           _value_diff(f.old, f.new), "", "</details>"]
            else:
                rows.append([*first, label, _cell_value(f.old), _cell_value(f.new)])
    return rows, folded


def _why(change: Change) -> str:
    return _text(change.note) or "—"


def _live_ref(change: Change) -> str:
    if change.live is None:
        return "—"
    owner = change.live.marker
    who = f"policy {_code(owner.policy)}" if owner else "unmanaged"
    return f"{_id(change)} ({who})"


def render_markdown(plan: Plan, *, max_chars: int = MAX_COMMENT_CHARS) -> str:
    """The plan as one Markdown document (a PR/MR comment), ending with a newline, at most
    `max_chars` long when it can be (the summary and headings always stay)."""
    text = _render(plan, details=True, max_rows=None)
    max_rows = 256
    while len(text) > max_chars and max_rows >= 1:
        text = _render(plan, details=False, max_rows=max_rows)
        max_rows //= 2
    return text


def _render(plan: Plan, *, details: bool, max_rows: int | None) -> str:
    s = plan.summary()
    out: list[str] = [comment_marker(plan),
                      f"### Sentry alerts plan: {_code(plan.policy_name)} → {_code(plan.org)}",
                      "", summary_line(plan)]
    if not plan.has_changes:
        out += ["", "No changes: the live alerts match the policy."]
    if not details:
        out += ["", "*This plan is too long for one comment: folded details are left out"
                    + (" and long tables shortened" if max_rows is not None else "")
                    + ". The full plan: `plan --format text` or `--format json`.*"]

    if not plan.listing_complete:
        problems = "; ".join(plan.listing_problems) or "a page of the listing failed"
        out += ["", "> [!CAUTION]",
                "> **The list of live alerts was incomplete, so this plan may be wrong.** "
                f"{_text(problems)}."]
        if plan.prune:
            out.append("> **Pruning was skipped:** nothing is deleted when the listing is "
                       "incomplete, because a missing alert may simply be on the page that "
                       "failed. Alerts that left the policy are listed as orphans below.")
        out.append("> Run the plan again; this one cannot be applied.")

    deletes = plan.of("delete")
    if deletes:
        out += ["", "> [!WARNING]",
                f"> **This plan deletes {plural(len(deletes), 'alert')} from Sentry** "
                "(`--prune`: managed by this policy, no longer in it). Check each one before "
                "you approve.", ">"]
        out += _table(DELETE_COLUMNS, [[_name(c), _code(c.key), _id(c), _why(c)]
                                       for c in deletes], prefix="> ", max_rows=max_rows)

    creates = plan.of("create")
    if creates:
        out += ["", f"#### ➕ Create ({len(creates)})", ""]
        out += _table(CREATE_COLUMNS, _create_rows(creates, plan), max_rows=max_rows)
        if details:
            out += ["", "<details><summary>All values of the new alerts</summary>", ""]
            for c in creates:
                assert c.desired is not None
                out += ([f"**{_text(c.name)}** ({_code(c.key)})", ""] + _all_values(c.desired)
                        + [""])
            out.append("</details>")

    updates = plan.of("update")
    if updates:
        rows, folded = _update_rows(updates, details)
        out += ["", f"#### ✏️ Update ({len(updates)})", ""]
        out += _table(UPDATE_COLUMNS, rows, max_rows=max_rows)
        out += folded
        adopted = [c for c in updates if c.note]
        if adopted and details:
            out += [""] + [f"- {_text(c.name)}: {_text(c.note)}" for c in adopted]

    conflicts = plan.of("conflict")
    if conflicts:
        out += ["", f"#### ⛔ Conflict ({len(conflicts)}): not applied", ""]
        out += _table(CONFLICT_COLUMNS, [[_name(c), _code(c.key), _live_ref(c), _why(c)]
                                         for c in conflicts], max_rows=max_rows)

    for action, title in (("orphan", "Orphan"), ("duplicate", "Duplicate")):
        kept = plan.of(action)
        if not kept:
            continue
        out += ["", f"#### {title} ({len(kept)}): kept", ""]
        if action == "orphan" and not plan.prune:
            out += ["Managed by this policy but no longer in it. `--prune` deletes them.", ""]
        out += _table(KEPT_COLUMNS, [[_name(c), _code(c.key), _id(c), _why(c)] for c in kept],
                      max_rows=max_rows)

    unchanged = plan.of("unchanged")
    if unchanged and details:
        out += ["", f"<details><summary>{plural(s['unchanged'], 'unchanged alert')}</summary>",
                ""]
        out += _table(UNCHANGED_COLUMNS, [[_name(c), _code(c.key), _id(c)] for c in unchanged])
        out += ["", "</details>"]

    out += ["", f"<sub>Policy {_code(plan.policy_path)} ({_code(_short_hash(plan))}) · "
                f"{_text(plan.url)} · backend {_code(plan.backend)} · dataset "
                f"{_code(plan.dataset)}{_own_datasets(plan)} · planned {_text(plan.created_at)}"
                + (" · with `--prune`" if plan.prune else "")
                + (" · with `--adopt`" if plan.adopt else "") + "</sub>"]
    return "\n".join(out) + "\n"


def _short_hash(plan: Plan) -> str:
    algo, _, digest = plan.policy_hash.partition(":")
    return f"{algo}:{digest[:12]}" if digest else plan.policy_hash


__all__ = ["CONFLICT_COLUMNS", "CREATE_COLUMNS", "DELETE_COLUMNS", "KEPT_COLUMNS",
           "MARKER_PREFIX", "UNCHANGED_COLUMNS", "UPDATE_COLUMNS", "comment_marker",
           "render_markdown", "summary_line"]
