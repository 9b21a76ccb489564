"""Lists that page, sort by their columns and total the whole filter: the basis, invoices,
customers (and payments). One piece, so every list behaves the same.

A view names its columns (`Column`: the query-string key, the heading and the ORM
fields it orders by), hands its filtered queryset to `paginate`, and renders
`includes/sort_headers.html` in its `<thead>` and `includes/pager.html` under the table.
Only the named columns sort (`?sort=number`, `?sort=-number` descending); a tie-breaker
(the id by default) keeps the order stable across pages. The page links keep the filter
and the sort; the headers keep the filter and go back to page 1. Totals are for the whole
filter, not the page: the count (the paginator's COUNT) and what `totals` aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, QueryDict

PER_PAGE = 50


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    order_by: tuple[str, ...] = ()
    css: str = ""

    @property
    def is_sortable(self) -> bool:
        return bool(self.order_by)


@dataclass
class Header:
    label: Any
    css: str
    url: str = ""
    aria_sort: str = ""


@dataclass
class Listing:
    columns: list[Column]
    sort: str
    is_descending: bool
    page: Page
    query: QueryDict
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)

    @property
    def count(self) -> int:
        return self.page.paginator.count

    def _url(self, **changes: Any) -> str:
        query = self.query.copy()
        for name, value in changes.items():
            query.pop(name, None)
            if value not in (None, ""):
                query[name] = str(value)
        return f"?{query.urlencode()}" if query else "?"

    def headers(self) -> list[Header]:
        found = []
        for column in self.columns:
            header = Header(column.label, column.css)
            if column.is_sortable:
                is_current = column.key == self.sort
                descending_next = is_current and not self.is_descending
                header.url = self._url(sort=f"-{column.key}" if descending_next else column.key, page=None)
                if is_current:
                    header.aria_sort = "descending" if self.is_descending else "ascending"
            found.append(header)
        return found

    def sort_value(self) -> str:
        return f"-{self.sort}" if self.is_descending else self.sort

    def page_url(self, number: int) -> str:
        return self._url(page=number)

    def previous_url(self) -> str:
        return self.page_url(self.page.previous_page_number()) if self.page.has_previous() else ""

    def next_url(self) -> str:
        return self.page_url(self.page.next_page_number()) if self.page.has_next() else ""


def parse_sort(value: str, columns: list[Column], default: str) -> tuple[Column, bool]:
    """The column and direction of `?sort=`; anything not a sortable column is the default."""
    by_key = {column.key: column for column in columns if column.is_sortable}
    for candidate in (value or "", default):
        key = candidate.removeprefix("-")
        if key in by_key:
            return by_key[key], candidate.startswith("-")
    raise ValueError(f"default sort {default!r} is not a sortable column")


def ordered(qs: QuerySet, column: Column, *, is_descending: bool, tie_breaker: str = "pk") -> QuerySet:
    """Empty values last in both directions, on SQLite and PostgreSQL alike."""
    fields = [*column.order_by, tie_breaker]
    if is_descending:
        return qs.order_by(*(F(name).desc(nulls_last=True) for name in fields))
    return qs.order_by(*(F(name).asc(nulls_last=True) for name in fields))


def paginate(
    request: HttpRequest,
    qs: QuerySet,
    *,
    columns: list[Column],
    default_sort: str,
    per_page: int = PER_PAGE,
    tie_breaker: str = "pk",
    totals: Callable[[QuerySet], dict[str, Decimal]] | None = None,
) -> Listing:
    column, is_descending = parse_sort(request.GET.get("sort", ""), columns, default_sort)
    page = Paginator(ordered(qs, column, is_descending=is_descending, tie_breaker=tie_breaker), per_page).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    if column.key == default_sort.removeprefix("-") and is_descending == default_sort.startswith("-"):
        query.pop("sort", None)
    else:
        query["sort"] = f"-{column.key}" if is_descending else column.key
    return Listing(
        columns=columns,
        sort=column.key,
        is_descending=is_descending,
        page=page,
        query=query,
        totals=totals(qs) if totals is not None else {},
    )
