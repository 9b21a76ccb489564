"""`basis_page`: the basis tab of N customers with three open items each, as staff open it.

Setup is `issue`'s (bulk inserts, not timed). The timed part is REPEAT requests for the
basis page through Django's test client (the whole middleware stack and the template,
no network): the first page, the second, and the first sorted by total descending, in
turn. The figures are the median and the slowest request, and the queries one page
takes; `basis_page_verify` checks that each page held one page of customers and that
the query count is the same on every page (it does not grow with N).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.issue import IssueCase, issue_setup
from fakturera.staff.listing import PER_PAGE

REPEAT = 30
PAGES = [{}, {"page": "2"}, {"sort": "-total"}]


@dataclass
class BasisPageCase:
    issue: IssueCase
    client: Client
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.issue.n


def basis_page_setup(*, n: int) -> BasisPageCase:
    issue = issue_setup(n=n)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(issue.actor)
    return BasisPageCase(issue=issue, client=client)


def basis_page_run(case: BasisPageCase) -> float:
    """The median seconds of one basis page."""
    case.client.get("/basis/")  # the first request warms the session and template caches
    for index in range(REPEAT):
        params = PAGES[index % len(PAGES)]
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = case.client.get("/basis/", params)
            case.seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise AssertionError(f"the basis page answered {response.status_code}")
        case.queries.append(len(captured.captured_queries))
        case.rows.append(response.content.count(b'class="basis-customer"'))
    return statistics.median(case.seconds)


def basis_page_verify(case: BasisPageCase) -> None:
    if set(case.rows) != {min(PER_PAGE, case.n)}:
        raise AssertionError(f"pages of {sorted(set(case.rows))} customers, expected {min(PER_PAGE, case.n)}")
    if len(set(case.queries)) != 1:
        raise AssertionError(f"queries per page vary: {sorted(set(case.queries))}")
