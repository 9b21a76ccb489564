"""The active company of a request, and the guards that keep companies apart.

Every staff view works inside one company: the one chosen in the company switcher
(kept in the session) among the companies the user has a role in. Objects are
fetched with `get_for_company`, so an id of another company's object is a 404,
never a 403 that would confirm it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from fakturera.parties.models import ROLE_RANK, Company, CompanyUser

SESSION_KEY = "active_company_id"
M = TypeVar("M", bound=Model)


class ActiveCompanyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.company = None  # type: ignore[attr-defined]
        request.company_role = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            _activate(request)
        return self.get_response(request)


def _activate(request: HttpRequest) -> None:
    roles = CompanyUser.objects.filter(user=request.user).select_related("company").order_by("company__name")
    wanted = request.session.get(SESSION_KEY)
    chosen = None
    first = None
    for membership in roles:
        first = first or membership
        if membership.company_id == wanted:
            chosen = membership
            break
    chosen = chosen or first
    if chosen is not None:
        request.company = chosen.company  # type: ignore[attr-defined]
        request.company_role = chosen.role  # type: ignore[attr-defined]
        request.session[SESSION_KEY] = chosen.company_id


def company_context(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "company", None):
        return {}
    return {
        "company": request.company,
        "company_role": request.company_role,
        "can_edit": role_allows(request.company_role, "accountant"),
        "is_company_admin": role_allows(request.company_role, "admin"),
        "my_companies": lambda: [
            cu.company for cu in CompanyUser.objects.filter(user=request.user).select_related("company")
        ],
    }


def role_allows(role: str | None, needed: str) -> bool:
    if role is None:
        return False
    return ROLE_RANK[role] >= ROLE_RANK[needed]


def staff_view(*, role: str = "read_only", write: bool | None = None) -> Callable:
    """Login, an active company and at least `role` for this view.

    Read-only users may look at everything; by default a POST needs the
    accountant role, so a read-only user can never change anything.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.company is None:  # type: ignore[attr-defined]
                return redirect("staff:no_company")
            needed = role
            if (write or (write is None and request.method == "POST")) and needed == "read_only":
                needed = "accountant"
            if not role_allows(request.company_role, needed):  # type: ignore[attr-defined]
                # The 403 page in the staff design (handler403) shows this reason.
                raise PermissionDenied(_("Your role in this company does not allow this."))
            return view(request, *args, **kwargs)

        decorated = login_required(wrapper)
        # What the view needs, readable by the staff UI's tests (staff/access.py must agree).
        decorated.staff_role = role  # type: ignore[attr-defined]
        decorated.staff_write = write  # type: ignore[attr-defined]
        return decorated

    return decorator


def get_for_company(queryset: QuerySet[M] | type[M], company: Company, **lookup: Any) -> M:
    """The object of `company` matching `lookup`, or 404 (also for other companies' objects)."""
    qs = queryset.objects.all() if isinstance(queryset, type) else queryset
    try:
        return qs.get(company=company, **lookup)
    except (qs.model.DoesNotExist, ValueError):
        raise Http404 from None
