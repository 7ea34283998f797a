"""A listing is complete only when it is consistent (issue 12): a cursor that loops, a next
page without a cursor, a server that never stops, an id seen twice (an alert created during
the listing): each makes it incomplete, and nothing is deleted or "confirmed" after it."""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import unquote

import pytest
from backend_support import fast_connect, spec
from policy_texts import policy_head
from stub_server import json_answer, stub_server
from test_client import create_many
from typer.testing import CliRunner

from sentry_alerts.cli import app
from sentry_alerts.demo import managed_objects
from sentry_alerts.emulator import ADMIN_TOKEN, ALERTS_TOKEN
from sentry_alerts.model import EmailTarget
from sentry_alerts.sentry.client import SentryClient
from sentry_alerts.sentry.common import collect_pages
from sentry_alerts.sentry.listing import MAX_PAGES

TEAM = [EmailTarget("team", "sre")]


def listing_from(next_cursor):
    """A stub whose every page is one new item and announces `next_cursor(page)`."""
    def route(method, path, headers):
        m = re.search(r"cursor=([^&]+)", unquote(path))
        page = int(m.group(1).split(":")[1]) if m else 0
        nxt = next_cursor(page)
        link = f'<{"http://x"}/list/>; rel="next"; results="true"' + (
            f'; cursor="0:{nxt}:0"' if nxt is not None else "")
        return json_answer([{"id": str(page)}], Link=link)
    return route


def collect(route):
    with stub_server(route) as stub:
        client = SentryClient(stub.url, ADMIN_TOKEN, retry_budget=1.0)
        items, complete, problems = collect_pages(client.paginate("/api/0/list/"), "the list")
        return items, complete, problems, len(stub.requests)


def test_a_cursor_that_loops_back_makes_the_listing_incomplete():
    items, complete, problems, requests = collect(listing_from(lambda page: page % 2 + 1))
    assert not complete and "same next page twice" in problems[0]
    assert requests == 3


def test_a_next_page_without_a_cursor_makes_the_listing_incomplete():
    items, complete, problems, _ = collect(listing_from(lambda page: None))
    assert not complete and "without a cursor" in problems[0]


def test_a_listing_that_never_ends_stops_at_the_page_limit():
    items, complete, problems, requests = collect(listing_from(lambda page: page + 1))
    assert not complete and f"after {MAX_PAGES} pages" in problems[0]
    assert requests == MAX_PAGES + 1 and len(items) == MAX_PAGES


def test_an_id_seen_twice_makes_the_listing_incomplete():
    items, complete, problems, _ = collect(_repeating)
    assert not complete and "id 1 twice" in problems[0]


def _repeating(method, path, headers):
    # Page 1: ids 2, 1; page 2 (an alert was created meanwhile, newest first): ids 1, 0.
    if "cursor=" in path:
        return json_answer([{"id": "1"}, {"id": "0"}])
    return json_answer([{"id": "2"}, {"id": "1"}],
                       Link='<http://x/list/>; rel="next"; results="true"; cursor="0:2:0"')


def test_an_alert_created_during_a_legacy_listing_makes_it_incomplete(emulator_factory):
    """The legacy list is newest first: a create between two pages pushes the last alert of
    page 1 onto page 2, where it would be seen twice."""
    emu = emulator_factory(profile="self-hosted-25")
    conn = fast_connect(emu, backend="alert-rules")
    backend = conn.backend
    dataset = backend.choose_dataset("auto").dataset
    for i in range(101):
        backend.create(backend.materialize(spec(f"k{i}", targets=TEAM), dataset))
    lists = []

    def create_during_listing(method, path, body):
        if method == "GET" and path.endswith("/alert-rules/"):
            lists.append(path)
            if len(lists) == 2:  # before page 2 is read
                conn.client.on_request = None
                backend.create(backend.materialize(spec("late", targets=TEAM), dataset))
                conn.client.on_request = create_during_listing

    conn.client.on_request = create_during_listing
    listing = backend.list_alerts()
    conn.client.on_request = None
    assert not listing.complete, "a listing that saw one alert twice was trusted"
    assert "twice" in listing.problems[0]


# --- nothing is deleted or "confirmed" after an incomplete listing ---

def _plan(backend, *changes):
    from sentry_alerts.plan import Plan

    return Plan(format_version=1, policy_name="critical-endpoints", policy_path="p.yaml",
                policy_hash="sha256:0", org="acme", url="http://x", backend=backend.name,
                backend_reason="", dataset="spans", dataset_reason="",
                created_at="2026-01-01T00:00:00Z", listing_complete=True, changes=changes,
                prune=True)


def _managed(backend, key):
    return [a for a in backend.list_alerts().alerts if a.marker and a.marker.key == key]


def test_a_lost_delete_is_not_confirmed_by_an_incomplete_listing(emulator_factory):
    """A delete whose answers are lost (5xx until the retry budget ends), then a listing whose
    second page fails: the alert is on that page, so its absence proves nothing."""
    from sentry_alerts.apply import apply_plan
    from sentry_alerts.plan import Change

    emu = emulator_factory(profile="self-hosted-26.7")
    conn = fast_connect(emu, backend="monitors", retry_budget=0.3)
    backend = conn.backend
    create_many(backend, 101)
    [last] = _managed(backend, "k100")  # the newest: on page 2 of the listing
    emu.faults.error_burst(1000, route="detectors.delete")

    def fail_page_two_after_the_delete(method, path, body):
        if method == "DELETE":
            emu.faults.failing_page(2, route="detectors.list", times=None)

    conn.client.on_request = fail_page_two_after_the_delete
    result = apply_plan(_plan(backend, Change("delete", "k100", last.name, live=last)), backend)
    [outcome] = result.outcomes
    assert outcome.status == "failed", outcome.message
    assert "could not be checked" in outcome.message and "incomplete" in outcome.message
    emu.faults.clear()
    assert _managed(backend, "k100")  # still there, as reported


def test_deletes_wait_for_a_complete_listing_read_again(emulator_factory):
    from sentry_alerts.apply import apply_plan
    from sentry_alerts.plan import Change

    emu = emulator_factory(profile="self-hosted-26.7")
    conn = fast_connect(emu, backend="monitors", retry_budget=0.3)
    backend = conn.backend
    create_many(backend, 2)
    [gone] = _managed(backend, "k1")
    emu.faults.failing_page(1, route="detectors.list", times=None)
    result = apply_plan(_plan(backend, Change("delete", "k1", gone.name, live=gone)), backend)
    [outcome] = result.outcomes
    assert outcome.status == "failed" and "not deleted" in outcome.message, outcome.message
    assert not emu.calls("DELETE")
    emu.faults.clear()
    assert _managed(backend, "k1")


def test_prune_never_deletes_the_only_copy_of_a_managed_alert(emulator_factory):
    """A duplicate is pruned only while the copy that stays is still there."""
    from sentry_alerts.apply import apply_plan
    from sentry_alerts.plan import Change

    emu = emulator_factory(profile="self-hosted-26.7")
    conn = fast_connect(emu, backend="monitors")
    backend = conn.backend
    desired = backend.materialize(spec("k0", targets=[]), "spans")
    first, second = backend.create(desired), backend.create(desired)
    # The plan keeps the first and deletes the second; meanwhile the first was deleted by hand.
    plan = _plan(backend, Change("unchanged", "k0", first.name, desired=desired, live=first),
                 Change("delete", "k0", second.name, live=second))
    emu.delete("detector", first.remote_id, org="acme")
    result = apply_plan(plan, backend)
    [outcome] = [o for o in result.outcomes if o.change.action == "delete"]
    assert outcome.status == "failed" and "is kept" in outcome.message, outcome.message
    assert len(_managed(backend, "k0")) == 1


def test_a_lost_create_is_not_sent_again_after_an_incomplete_listing(emulator_factory):
    """The retry-safety check looks for the alert by its marker; when the listing it looks in
    is incomplete, not finding it proves nothing, and sending again could make a second one."""
    import pytest

    from sentry_alerts.errors import SentryAPIError

    emu = emulator_factory(profile="self-hosted-26.7")
    conn = fast_connect(emu, backend="monitors", retry_budget=0.3)
    backend = conn.backend
    create_many(backend, 101)
    emu.faults.drop_after_commit(1, route="detectors.create")

    def fail_page_two_after_the_create(method, path, body):
        if method == "POST" and path.endswith("/detectors/"):
            emu.faults.failing_page(2, route="detectors.list", times=None)

    conn.client.on_request = fail_page_two_after_the_create
    with pytest.raises(SentryAPIError, match="could not be checked"):
        backend.create(backend.materialize(spec("k101", targets=[]), "spans"))
    conn.client.on_request = None
    emu.faults.clear()
    assert len(_managed(backend, "k101")) == 1  # landed once, never sent twice


# --- someone else creates or deletes alerts while a listing is read, through the CLI ---

def _bystanders(emu, template: dict, count: int) -> list[int]:
    """`count` unmanaged legacy rules, newer than everything so far (the list is newest
    first): as if people had made them in Sentry's UI."""
    made = []
    with emu.lock:
        store = emu.state.org("acme").alert_rules
        for i in range(count):
            rule_id = emu.state.ids("alert_rule").next()
            store[rule_id] = {**template, "id": str(rule_id), "name": f"someone's rule {i}",
                              "description": ""}
            made.append(rule_id)
    return made


def _during_the_listing(emu, event) -> threading.Thread:
    """Run `event()` once, after the first page of the alert rules list was answered and
    before the second is read (every list page is slowed down by 0.15 s to make room). The
    first answered GET of the list is the backend probe (one item), the second the page."""
    emu.faults.latency(0.15, route="alert_rules.list", times=None)

    def watch() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len([1 for m, p, s in list(emu.request_log)
                    if m == "GET" and p.endswith("/alert-rules/") and s == 200]) >= 2:
                event()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("event", ["delete", "insert"])
def test_alerts_changed_by_someone_else_during_a_listing_never_cost_a_copy(
        emulator_factory, tmp_path, event):
    """The legacy list is offset-paginated, newest first. A delete on page 1 while it is read
    pulls our alert (the oldest, first on page 2) back onto page 1, so the listing misses it:
    apply would create a second copy. An insert pushes our alert (last on page 1) onto page 2,
    where it is seen twice: --prune would delete the "younger copy", its only copy."""
    emu = emulator_factory(profile="self-hosted-25")
    path = tmp_path / "stable.yaml"
    path.write_text(policy_head("stable") + "  - transaction: GET /api/stable\n"
                    "    sla: {p95: 500ms}\n    alert: {critical: 750ms}\n")
    env = {"SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN, "NO_COLOR": "1"}

    def cli(*args: str):
        result = CliRunner().invoke(app, [*args, str(path), "--auto-approve"], env=env)
        assert "Traceback" not in result.output
        return result

    assert cli("apply").exit_code == 0
    [(_, ours, template)] = managed_objects(emu, "acme", "stable")
    if event == "insert":  # ours last on page 1: one older rule, ours, 99 newer
        _bystanders(emu, template, 1)
        emu.delete("alert_rule", ours, "acme")
        assert cli("apply").exit_code == 0
        [(_, ours, _)] = managed_objects(emu, "acme", "stable")
    others = _bystanders(emu, template, 100 if event == "delete" else 99)
    emu.request_log.clear()
    if event == "delete":
        thread = _during_the_listing(emu, lambda: emu.delete("alert_rule", others[50], "acme"))
    else:
        thread = _during_the_listing(emu, lambda: _bystanders(emu, template, 1))
    during = cli("apply", "--prune")
    thread.join(timeout=10)
    emu.faults.clear()
    assert during.exit_code == 1, during.output
    assert "incomplete" in during.output and "nothing was applied" in during.output
    assert not emu.calls("POST") and not emu.calls("DELETE"), emu.calls()
    assert [i for _, i, _ in managed_objects(emu, "acme", "stable")] == [ours]

    after = cli("apply", "--prune")  # nobody changes anything now
    assert after.exit_code == 0 and "No changes." in after.output, after.output
    assert [i for _, i, _ in managed_objects(emu, "acme", "stable")] == [ours]


def test_a_count_that_changes_between_pages_makes_the_listing_incomplete():
    """A delete during the listing skips an item without repeating one: only Sentry's count
    of the list (X-Hits) going down shows it."""
    def shrinking(method, path, headers):
        if "cursor=" in path:
            return json_answer([{"id": "0"}], **{"X-Hits": "2"})
        return json_answer([{"id": "3"}, {"id": "2"}], **{"X-Hits": "3"}, Link=(
            '<http://x/list/>; rel="next"; results="true"; cursor="0:2:0"'))

    items, complete, problems, _ = collect(shrinking)
    assert not complete and "changed while it was read" in problems[0], problems
    assert "counted 3 alerts, then 2" in problems[0]
