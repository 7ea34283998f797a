"""When a listing may be trusted: every page arrived, and the pages are consistent.

Sentry's lists are offset-paginated (the legacy alert rules newest first), so an alert created
by someone else during a listing pushes another onto the next page, where it is seen twice,
and an alert deleted during it pulls one back, which is then not seen at all. A listing is
complete only when:

- every page answered (a later page's error: incomplete, collect_pages in common.py);
- no cursor repeats and every announced next page has one (client.paginate raises);
- no id appears twice (an insert during the listing): the listing is inconsistent, so
  incomplete; nothing is deleted after it, and no "confirmed" verdict is drawn from it;
- the total Sentry counts for the list (`X-Hits`, sent with every page) is the same on every
  page: a delete during the listing skips an item without repeating one, and only the count
  going down shows it (the skipped alert would be created a second time);
- at most MAX_PAGES pages (a server that never stops announcing more).

Sentry counts at most 1,000 hits (`X-Max-Hits`): beyond that the count stays 1000 and a delete
during the listing goes unseen (apply's copy check after its creates removes the second copy
it causes: apply_copies.py). A create and a delete between the same two
pages cancel out in the count; such a listing misses at most the new alert (no skip: the two
shifts cancel too). Apply also lists again before deleting anything (apply_guard.py), and the
next plan shows anything missed.
"""

from __future__ import annotations

from typing import Any

MAX_PAGES = 500  # 50,000 alerts at 100 per page: far beyond any real organization


class Page(list):
    """One page's items, and the total Sentry counted for the whole list when it sent one
    (`X-Hits`)."""

    hits: int | None = None


def page_of(items: list[Any], headers: Any) -> Page:
    page = Page(items)
    raw = headers.get("X-Hits") if headers is not None else None
    page.hits = int(raw) if isinstance(raw, str) and raw.strip().isdigit() else None
    return page


class PageChecks:
    """Fed each page in order; `problem` is set (one sentence) once the listing stops being
    trustworthy."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.pages = 0
        self._ids: set[str] = set()
        self._hits: int | None = None
        self.problem: str | None = None

    def add(self, page: list[Any]) -> bool:
        """False when the listing must stop here (incomplete)."""
        self.pages += 1
        if self.pages > MAX_PAGES:
            self.problem = (f"{self.what} was stopped after {MAX_PAGES} pages (Sentry kept "
                            "announcing more)")
            return False
        for item in page:
            rid = str(item.get("id")) if isinstance(item, dict) and item.get("id") is not None \
                else None
            if rid is None:
                continue
            if rid in self._ids:
                self.problem = (f"{self.what} showed id {rid} twice (alerts were created or "
                                "deleted while it was read), so it cannot be trusted")
                return False
            self._ids.add(rid)
        hits = getattr(page, "hits", None)
        if hits is not None:
            if self._hits is not None and hits != self._hits:
                self.problem = (f"{self.what} changed while it was read (Sentry counted "
                                f"{self._hits} alerts, then {hits}: alerts were created or "
                                "deleted meanwhile, so one may have been skipped), so it "
                                "cannot be trusted")
                return False
            self._hits = hits
        return True
