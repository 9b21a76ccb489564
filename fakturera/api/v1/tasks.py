"""Tasks (fakturera/worklist): list and filter, read one with its history, mark done, undo.
Every rule is worklist.services'; this module only translates."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router

from fakturera.api.v1.common import ERRORS, IDEMPOTENT, WRITE_ERRORS, actor_of, check_id, company_of, page, write
from fakturera.api.v1.schemas import TaskOut, TaskPage, TaskQuery
from fakturera.parties.models import Company
from fakturera.worklist import selectors, services
from fakturera.worklist.selectors import TaskFilter

router = Router(tags=["tasks"])


def task_out(company: Company, task_id: int) -> dict[str, Any]:
    check_id(task_id)
    task = selectors.task_detail(company=company, pk=task_id)
    if task is None:
        raise Http404
    return {**selectors.task_data(task), "history": selectors.task_history_data(task=task)}


@router.get("", response={200: TaskPage, **ERRORS}, summary="List tasks (billing tasks and the rest)")
def task_list(request: HttpRequest, query: Query[TaskQuery]) -> Any:
    filters = TaskFilter(
        scope="team" if query.is_unassigned else "all",
        state=query.state or "any",
        kind=query.kind or "",
        due_from=query.due_from,
        due_to=query.due_to,
        is_overdue=query.is_overdue,
        invoice_id=query.invoice_id,
        customer_id=query.customer_id,
        assignee_id=query.assignee_id,
    )
    tasks = selectors.task_list(company=company_of(request), filters=filters)
    today = timezone.localdate()
    return page(tasks, limit=query.limit, offset=query.offset, item=lambda task: selectors.task_data(task, today=today))


@router.get("/{task_id}", response={200: TaskOut, **ERRORS}, summary="Get a task with its history")
def task_get(request: HttpRequest, task_id: int) -> Any:
    return task_out(company_of(request), task_id)


def _move(request: HttpRequest, task_id: int, service: Any) -> HttpResponse:
    company = company_of(request)
    task_out(company, task_id)  # 404 before anything

    def action() -> int:
        service(company=company, actor=actor_of(request), task_id=task_id)
        return task_id

    return write(request, status=200, action=action, present=lambda pk: task_out(company, pk))


@router.post(
    "/{task_id}/done",
    response={200: TaskOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Mark a task done (409 when it is closed already)",
)
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    return _move(request, task_id, services.task_done)


@router.post(
    "/{task_id}/undo",
    response={200: TaskOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Open a task marked done again (409 when it is open, or was closed by its invoice's payment or credit)",
)
def task_undo(request: HttpRequest, task_id: int) -> HttpResponse:
    return _move(request, task_id, services.task_undo)
