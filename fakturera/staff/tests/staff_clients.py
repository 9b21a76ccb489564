"""Logged-in test clients for the staff pages of one company."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from fakturera.parties.models import Company
from fakturera.parties.tests.factories import StaffFactory


def log_in(client: Client, company: Company, role: str = "accountant") -> AbstractBaseUser:
    """A new user with `role` in `company` only, logged in on `client`."""
    user = StaffFactory(company=company, role=role).user
    client.force_login(user)
    return user


def field_errors(response, name: str) -> list[str]:
    return list(response.context["form"].errors.get(name, []))
