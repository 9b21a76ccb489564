"""Company settings and staff roles: administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fakturera.billables.services import basis_source_set
from fakturera.core.errors import DomainError
from fakturera.parties.models import Company, CompanyUser, Role
from fakturera.parties.services import company_update, company_user_remove, company_user_set
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.company import CompanySettingsForm, StaffAddForm, StaffRoleForm
from fakturera.staff.forms_errors import add_domain_error


@staff_view(role="admin")
def settings_edit(request: HttpRequest) -> HttpResponse:
    # A fresh row, so a refused save cannot leave changed values on request.company.
    company = Company.objects.get(pk=request.company.pk)
    form = CompanySettingsForm(request.POST or None, request.FILES or None, company=company)
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["basis_source"]
        try:
            with transaction.atomic():
                company_update(company=company, **form.service_fields())
                if source != company.basis_source:
                    # The basis follows the source: the other source's open items leave it.
                    basis_source_set(company=company, source=source, actor=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The settings were saved."))
            return redirect("staff:company_settings")
    context = {"section": "settings", "form": form, "settings_company": company}
    return render(request, "staff/company/settings.html", context, status=400 if form.errors else 200)


@staff_view(role="admin")
def staff_list(request: HttpRequest) -> HttpResponse:
    """Who works for the company with which role; add an existing user or change a role."""
    company = request.company
    add_form = StaffAddForm(request.POST if request.POST.get("action") == "add" else None)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "role":
        membership = get_for_company(CompanyUser.objects.select_related("user"), company, pk=request.POST.get("member"))
        role_form = StaffRoleForm(request.POST)
        if not role_form.is_valid():
            messages.error(request, _("Unknown role."))
            status = 400
        else:
            try:
                company_user_set(company=company, user=membership.user, role=role_form.cleaned_data["role"])
            except DomainError as exc:
                messages.error(request, exc.message)
                status = 400
            else:
                messages.success(request, _("%(user)s is now %(role)s.") % {
                    "user": membership.user.get_username(), "role": Role(role_form.cleaned_data["role"]).label,
                })  # fmt: skip
                return redirect("staff:company_staff")
    elif request.method == "POST" and request.POST.get("action") == "remove":
        membership = get_for_company(CompanyUser.objects.select_related("user"), company, pk=request.POST.get("member"))
        try:
            company_user_remove(company=company, user=membership.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(user)s no longer works for %(company)s.") % {
                "user": membership.user.get_username(), "company": company.name,
            })  # fmt: skip
        return redirect("staff:company_staff")
    elif request.method == "POST" and add_form.is_valid():
        username = add_form.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            add_form.add_error("username", _("There is no user called “%(username)s”.") % {"username": username})
        else:
            try:
                company_user_set(company=company, user=user, role=add_form.cleaned_data["role"])
            except DomainError as exc:
                add_domain_error(add_form, exc)
            else:
                messages.success(request, _("%(user)s now works for %(company)s as %(role)s.") % {
                    "user": username, "company": company.name, "role": Role(add_form.cleaned_data["role"]).label,
                })  # fmt: skip
                return redirect("staff:company_staff")
    elif request.method == "POST":
        status = 400
    if add_form.errors:
        status = 400
    members = CompanyUser.objects.filter(company=company).select_related("user").order_by("user__username")
    context = {"section": "settings", "members": members, "add_form": add_form, "roles": Role.choices}
    return render(request, "staff/company/staff_list.html", context, status=status)
