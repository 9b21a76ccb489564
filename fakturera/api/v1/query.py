"""Query parameters the operation does not declare are refused (422, each one named), never
ignored: a misspelt filter (`?stauts=issued`) silently dropped would answer with every invoice.

Two decorators on every operation (installed by api/v1/__init__.py): before validation the
operation's declared parameter names are compared with the request's (the operation is the
bound `run` that ninja wraps); after authentication and validation the refusal is raised, so a
request without a key still gets its 401 first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.params.models import QueryModel

from fakturera.core.errors import ValidationFailed

UNKNOWN = "_fakturera_unknown_query"


class UnknownParameters(ValidationFailed):
    """The request is not in the documented form (as a body the schema refuses), not a rule's refusal."""

    code = "validation_failed"


def declared_names(operation: Any) -> frozenset[str]:
    names: set[str] = set()
    for model in operation.models:
        if not issubclass(model, QueryModel):
            continue
        flatten = getattr(model, "__ninja_flatten_map__", None) or {}
        names.update(flatten)
        for name, field in model.model_fields.items():
            names.add(field.alias or name)
    return frozenset(names)


def note_unknown(run: Callable[..., Any]) -> Callable[..., Any]:
    names = declared_names(run.__self__)  # type: ignore[attr-defined]

    @functools.wraps(run)
    def noted(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        unknown = [key for key in request.GET if key not in names]
        if unknown:
            setattr(request, UNKNOWN, unknown)
        return run(request, *args, **kwargs)

    return noted


def refuse_unknown(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def refused(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        unknown = getattr(request, UNKNOWN, None)
        if unknown:
            message = _("This query parameter is unknown; leave it out.")
            raise UnknownParameters({name: [message] for name in unknown})
        return view(request, *args, **kwargs)

    return refused
