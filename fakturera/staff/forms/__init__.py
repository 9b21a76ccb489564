"""Staff forms: they parse what was typed; the services decide whether it is right.

Identifiers, prices and VAT are left as text here on purpose, so the message a
person sees is the service's ("“556732-1708” is not a valid Swedish organisation
number: ..."), the same one the API will give.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        full_name = obj.get_full_name()  # type: ignore[attr-defined]
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


def company_users(company: object) -> QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(company_roles__company=company).order_by("username")
