"""Company settings, and users and their roles (invitations): administrators only."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.billables.services import basis_source_set
from fakturera.core.errors import DomainError
from fakturera.parties.invitations import invitation_create, invitation_resend, invitation_revoke, invitations_pending
from fakturera.parties.models import Company, CompanyUser, Invitation, Role
from fakturera.parties.selectors import company_logo
from fakturera.parties.services import company_update, company_user_remove, company_user_set
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.company import CompanySettingsForm, InviteForm, StaffRoleForm
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


@staff_view()
def logo(request: HttpRequest) -> HttpResponse:
    """The company's logo, read from the file storage (the database or the S3 store): no
    machine has it on disk. `?v=` (its name) only makes a new logo a new address."""
    name = request.company.logo.name
    content = company_logo(company=request.company)
    if content is None:
        raise Http404(_("The company has no logo."))
    response = HttpResponse(content, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_view(role="admin")
def staff_list(request: HttpRequest) -> HttpResponse:
    """Who works for the company with which role, and the open invitations: invite by e-mail,
    change a role, remove someone, send an invitation again or revoke it."""
    company = request.company
    action = request.POST.get("action")
    invite_form = InviteForm(request.POST if action == "invite" else None)
    status = 200
    if request.method == "POST" and action in ("role", "remove"):
        membership = get_for_company(CompanyUser.objects.select_related("user"), company, pk=request.POST.get("member"))
        name = membership.user.get_full_name() or membership.user.get_username()
        role_form = StaffRoleForm(request.POST)
        try:
            if action == "remove":
                company_user_remove(company=company, user=membership.user)
                done = _("%(user)s no longer works for %(company)s.") % {"user": name, "company": company.name}
            elif not role_form.is_valid():
                raise DomainError(_("Unknown role."))
            else:
                role = role_form.cleaned_data["role"]
                company_user_set(company=company, user=membership.user, role=role)
                done = _("%(user)s is now %(role)s.") % {"user": name, "role": Role(role).label}
        except DomainError as exc:
            messages.error(request, exc.message)
            if action == "role":
                status = 400
        else:
            messages.success(request, done)
            if membership.user == request.user:
                return redirect("staff:home")  # their own role changed: this page may no longer be theirs
            return redirect("staff:company_staff")
        if status == 200:
            return redirect("staff:company_staff")
    if request.method == "POST" and action in ("resend", "revoke"):
        invitation = get_for_company(Invitation, company, pk=request.POST.get("invitation"))
        try:
            if action == "resend":
                invitation_resend(invitation=invitation)
                done = _("A new invitation link was sent to %(email)s.") % {"email": invitation.email}
            else:
                invitation_revoke(invitation=invitation)
                done = _("The invitation of %(email)s was revoked.") % {"email": invitation.email}
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("staff:company_staff")
    if request.method == "POST" and invite_form.is_valid():
        try:
            invitation = invitation_create(
                company=company,
                email=invite_form.cleaned_data["email"],
                role=invite_form.cleaned_data["role"],
                actor=request.user,
            )
        except DomainError as exc:
            add_domain_error(invite_form, exc)
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
            return redirect("staff:company_staff")
    if request.method == "POST" and action not in ("role", "remove"):
        status = 400
    members = CompanyUser.objects.filter(company=company).select_related("user").order_by("user__username")
    context = {
        "section": "settings",
        "members": members,
        "invite_form": invite_form,
        "invitations": invitations_pending(company),
        "roles": Role.choices,
        "now": timezone.now(),
    }
    return render(request, "staff/company/staff_list.html", context, status=status)
