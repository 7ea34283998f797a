"""Sentry's offset pagination for list endpoints (notes §1.4).

Cursor: "<per_page>:<page>:<is_prev>" as Sentry's OffsetPaginator (page number, not row offset).
Clients must treat it as opaque. Both Link rels are always present; `results="false"` marks an
empty page. `X-Hits` carries the total, counted up to `X-Max-Hits` (1,000) as Sentry's
`count_hits` counts `queryset[:max_hits]` (src/sentry/api/paginator.py, MAX_HITS_LIMIT): a
list of 10,000 says 1000.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from sentry_alerts.emulator.core import JSON, ApiError, Request, Response

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_HITS = 1000


def _bad(detail: str) -> ApiError:
    return ApiError(400, {"detail": detail})


def parse_per_page(req: Request, default: int = DEFAULT_PER_PAGE, maximum: int = MAX_PER_PAGE) -> int:
    raw = req.arg("per_page")
    if raw is None or raw == "":
        return default
    try:
        per_page = int(raw)
    except ValueError:
        raise _bad("Invalid per_page parameter.") from None
    if not 1 <= per_page <= maximum:
        raise _bad(f"Invalid per_page value. Must be between 1 and {maximum}.")
    return per_page


def parse_cursor(req: Request) -> tuple[int | None, int, bool]:
    """(value, page, is_prev) of the `cursor` parameter; (None, 0, False) without one."""
    raw = req.arg("cursor")
    if not raw:
        return None, 0, False
    parts = raw.split(":")
    if len(parts) != 3:
        raise _bad("Invalid cursor parameter.")
    try:
        value, page, is_prev = int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        raise _bad("Invalid cursor parameter.") from None
    return value, page, bool(is_prev)


def page_number(req: Request) -> int:
    """The 1-based page a request asks for (for page faults); 1 when the cursor is unreadable."""
    try:
        _, page, _ = parse_cursor(req)
    except ApiError:
        return 1
    return page + 1


def _link(base_url: str, req: Request, cursor: str, rel: str, has_results: bool) -> str:
    query = [(k, v) for k, values in req.query.items() if k != "cursor" for v in values]
    query.append(("cursor", cursor))
    url = f"{base_url}{req.path}?{urlencode(query)}"
    results = "true" if has_results else "false"
    return f'<{url}>; rel="{rel}"; results="{results}"; cursor="{cursor}"'


def paginate(base_url: str, req: Request, items: list[JSON], *,
             serve: Callable[[JSON], JSON] | None = None,
             default_per_page: int = DEFAULT_PER_PAGE, max_per_page: int = MAX_PER_PAGE) -> Response:
    """One page of an already ordered list, with Link, X-Hits and X-Max-Hits headers.

    `serve` turns a stored item into what the API sends; it runs for the page's items only, so
    a page costs the same at 100 or 10,000 items (issue 11)."""
    per_page = parse_per_page(req, default_per_page, max_per_page)
    value, page, _ = parse_cursor(req)
    # Sentry takes the page size from the cursor when it has one.
    limit = min(value, max_per_page) if value else per_page
    if page < 0:
        raise _bad("Pagination offset cannot be negative")
    start = page * limit
    chunk = items[start:start + limit]
    if serve is not None:
        chunk = [serve(item) for item in chunk]
    has_next = start + limit < len(items)
    has_prev = page > 0
    links = ", ".join([
        _link(base_url, req, f"{limit}:{page - 1}:1", "previous", has_prev),
        _link(base_url, req, f"{limit}:{page + 1}:0", "next", has_next),
    ])
    headers = {"Link": links, "X-Hits": str(min(len(items), MAX_HITS)),
               "X-Max-Hits": str(MAX_HITS)}
    return Response(200, chunk, headers)
