"""Distribution in the staff UI: the Send dialog (selected invoices or all matching the
list's filter), a send's progress with Undo, the work that needs staff (failed, uncertain,
waiting long or retried, stuck with a worker) and their answers to it,
the print run's PDF, and the company's channel settings (administrators)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fakturera.core.errors import DomainError
from fakturera.core.reminder_letters import reminder_letters
from fakturera.distribution import selectors, services
from fakturera.distribution.channels import REGISTRY
from fakturera.distribution.mail import Text
from fakturera.distribution.models import Delivery, DeliveryState, EmailTemplate, Purpose, SendBatch
from fakturera.distribution.worker import deliveries_sweep
from fakturera.documents.services import documents_merged_pdf, merge_pdfs
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.services import invoice_email_set
from fakturera.parties.models import Channel
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.distribution import ChannelForm, EmailTemplateForm, GeneralForm, SendForm
from fakturera.staff.forms.invoices import InvoiceFilterForm
from fakturera.staff.forms_errors import add_domain_error

SHOWN_DELIVERIES = 200


class FilterRefused(Exception):
    """The list's filter of an "all matching" send does not read: nothing is chosen."""


def _selected_ids(request: HttpRequest) -> tuple[list[int], bool]:
    """The invoices of the Send dialog: those ticked, or all matching the list's filter
    (every page, not only the one shown)."""
    if request.GET.get("all") == "1":
        form = InvoiceFilterForm(request.GET, company=request.company)
        if not form.is_valid():
            # Never "no filter": a mistyped date must not send every issued invoice.
            raise FilterRefused
        invoices = form.matching(company=request.company)
        return list(invoices.filter(status="issued").values_list("pk", flat=True)), True
    return [int(value) for value in request.GET.getlist("invoice") if value.isdigit()], False


@require_http_methods(["GET", "POST"])
@staff_view(role="accountant")
def send(request: HttpRequest) -> HttpResponse:
    company = request.company
    try:
        ids, is_all = _selected_ids(request)
    except FilterRefused:
        return HttpResponseBadRequest(_("The list's filter is not valid; correct it and choose again."))
    channels = selectors.company_channels(company=company)
    active = sorted(channels.active)
    form = SendForm(
        request.POST or None,
        active=active,
        initial={"template": company.pdf_template, "purpose": request.GET.get("purpose", "invoice")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.invoices_send(
                company=company,
                actor=request.user,
                invoice_ids=ids,
                template=form.cleaned_data["template"],
                channel=form.cleaned_data["channel"],
                purpose=form.cleaned_data["purpose"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(queued)s waiting to be sent, %(unsent)s not sent (see their history).")
                % {"queued": batch.queued_count, "unsent": batch.unsent_count},
            )
            return redirect("staff:send_detail", pk=batch.pk)
    context = {
        "section": "distribution",
        "form": form,
        "count": len(ids),
        "is_all": is_all,
        "query": request.GET.urlencode(),
        "has_channels": bool(active),
    }
    return render(request, "staff/distribution/send.html", context, status=400 if form.errors else 200)


@require_GET
@staff_view()
def overview(request: HttpRequest) -> HttpResponse:
    company = request.company
    attention = selectors.deliveries_needing_attention(company=company, limit=SHOWN_DELIVERIES)
    recent = list(selectors.batches(company=company)[:20])
    for batch in recent:
        batch.progress = selectors.batch_progress(batch=batch)
    return render(
        request,
        "staff/distribution/overview.html",
        {"section": "distribution", "attention": attention, "uncertain": attention.uncertain, "batches": recent},
    )


def _batch_context(request: HttpRequest, batch: SendBatch) -> dict[str, Any]:
    progress = selectors.batch_progress(batch=batch)
    now = timezone.now()
    return {
        "section": "distribution",
        "batch": batch,
        "progress": progress,
        "can_undo": now < batch.undo_until and progress.waiting > 0,
        "deliveries": batch.deliveries.select_related("invoice").order_by("pk")[:SHOWN_DELIVERIES],
        "has_print": batch.deliveries.filter(channel=Channel.PRINT, state=DeliveryState.SENT).exists(),
        "unsent": selectors.batch_unsent(batch=batch),
        "now": now,
    }


@require_GET
@staff_view()
def send_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_for_company(SendBatch, request.company, pk=pk)
    context = _batch_context(request, batch)
    if request.htmx:
        return render(request, "staff/distribution/_progress.html", context)
    return render(request, "staff/distribution/send_detail.html", context)


@require_POST
@staff_view()
def send_undo(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_for_company(SendBatch, request.company, pk=pk)
    ids = [int(v) for v in request.POST.getlist("delivery") if v.isdigit()]
    try:
        if ids:
            count = services.deliveries_undo(company=request.company, actor=request.user, delivery_ids=ids)
        else:
            count = services.deliveries_undo_batch(company=request.company, actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(count)s undone; they were not sent.") % {"count": count})
    return redirect("staff:send_detail", pk=batch.pk)


# Staff's answers to a delivery that needs them, each for the state it is in.
ANSWERS = {
    "confirm": (services.delivery_confirm_sent, gettext_lazy("Marked as sent.")),
    "resend": (services.delivery_resend, gettext_lazy("Queued to be sent again.")),
    "not_sent": (services.delivery_confirm_not_sent, gettext_lazy("Marked as not arrived; the invoice is unsent.")),
    "retry": (services.delivery_retry, gettext_lazy("Queued to be sent again.")),
    "send_now": (services.delivery_send_now, gettext_lazy("It goes in the next round.")),
    "cancel": (services.delivery_cancel, gettext_lazy("Stopped; it was not sent.")),
}


@require_POST
@staff_view()
def delivery_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff's answer to a delivery on the Sending page: an uncertain one arrived (confirm), did
    not (not_sent) or is sent again (resend); a failed one is sent again (retry); a waiting one
    goes now (send_now) or is stopped (cancel)."""
    delivery = get_for_company(Delivery, request.company, pk=pk)
    action = request.POST.get("action", "")
    if action not in ANSWERS:
        # Only an explicit answer: anything else must not send the invoice a second time.
        return HttpResponseBadRequest(_("Answer with one of the buttons."))
    service, done = ANSWERS[action]
    try:
        service(company=request.company, actor=request.user, delivery=delivery)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("staff:distribution")
    return redirect(back)


@require_POST
@staff_view()
def deliveries_check(request: HttpRequest) -> HttpResponse:
    """Judge this company's deliveries whose worker's lease ran out, now (as the sweeper would)."""
    counts = deliveries_sweep(company=request.company)
    messages.success(
        request,
        _("%(sent)s recorded as sent, %(requeued)s back in the queue, %(uncertain)s uncertain.") % counts,
    )
    return redirect("staff:distribution")


@require_GET
@staff_view()
def print_run(request: HttpRequest, pk: int) -> HttpResponse:
    """The send's print run: one PDF of its printed invoices, in number order."""
    batch = get_for_company(SendBatch, request.company, pk=pk)
    printed = list(
        batch.deliveries.filter(channel=Channel.PRINT, state=DeliveryState.SENT)
        .order_by("invoice__number", "pk")
        .values_list("pk", "invoice_id")
    )
    if not printed:
        messages.error(request, _("This send has nothing to print."))
        return redirect("staff:send_detail", pk=batch.pk)
    letters = reminder_letters([pk for pk, _invoice_id in printed]) if batch.purpose == Purpose.REMINDER else {}
    if letters:
        # A reminder run prints the reminder letters (those made before collections kept its
        # records print the invoice, as they were sent).
        content = merge_pdfs(
            [letters[pk].pdf if pk in letters else _invoice_pdf(invoice_id, batch) for pk, invoice_id in printed]
        )
    else:
        invoices = list(
            Invoice.objects.filter(pk__in=[i for _pk, i in printed]).select_related("company").order_by("number")
        )
        content = documents_merged_pdf(invoices=invoices, template=batch.template)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="utskrift-{batch.pk}.pdf"'
    return response


def _invoice_pdf(invoice_id: int, batch: SendBatch) -> bytes:
    invoice = Invoice.objects.select_related("company").get(pk=invoice_id)
    return documents_merged_pdf(invoices=[invoice], template=batch.template)


@require_POST
@staff_view()
def invoice_email(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_company(Invoice, request.company, pk=pk)
    email = request.POST.get("email", "").strip()
    try:
        invoice_email_set(invoice=invoice, actor=request.user, email=email)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The invoice goes to %(e)s.") % {"e": email} if email else _("The address is derived again.")
        )
    return redirect("staff:invoice_detail", pk=invoice.pk)


# --- settings (administrators) ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(role="admin")
def distribution_settings(request: HttpRequest) -> HttpResponse:
    company = request.company
    stored = selectors.channel_settings(company=company)
    action = request.POST.get("action", "")
    general = GeneralForm(
        request.POST if action == "general" else None, instance=selectors.distribution_settings(company=company)
    )
    channel_forms = [
        ChannelForm(request.POST if action == f"channel:{code}" else None, channel=code, instance=stored.get(code))
        for code in REGISTRY
    ]
    edit = request.GET.get("edit", "")
    editing = EmailTemplate.objects.filter(company=company, pk=int(edit)).first() if edit.isdigit() else None
    is_preview = request.method == "POST" and "preview" in request.POST.getlist("action")
    template_form = EmailTemplateForm(
        request.POST if action == "template" or is_preview else None,
        initial={
            "purpose": editing.purpose,
            "language": editing.language,
            "subject": editing.subject,
            "body": editing.body,
        }
        if editing
        else None,
    )
    status = 200
    preview: dict[str, Any] | None = None
    if is_preview:
        # The unsaved template filled in with a real invoice: nothing is saved or sent.
        preview = _template_preview(company, template_form)
        context = {"template_form": template_form, "preview": preview}
        if request.htmx:
            return render(request, "staff/distribution/_template_preview.html", context)
        status = 200 if preview else 400
    elif request.method == "POST":
        saved = _save_settings(request, action, general, channel_forms, template_form)
        if saved:
            messages.success(request, _("The settings were saved."))
            return redirect(reverse("staff:distribution_settings") + f"#{saved}")
        status = 400
    return render(
        request,
        "staff/distribution/settings.html",
        {
            "section": "settings",
            "general": general,
            "channel_forms": channel_forms,
            "template_form": template_form,
            "templates": EmailTemplate.objects.filter(company=company),
            "preview": preview,
            "is_preview": is_preview,
        },
        status=status,
    )


def _template_preview(company: Any, form: EmailTemplateForm) -> dict[str, Any] | None:
    """The subject and text as the invoice's customer would get them, or None with the
    form's errors saying why not (an unknown variable, no such invoice)."""
    if not form.is_valid():
        return None
    number = form.cleaned_data["preview_invoice"]
    invoice = selectors.template_preview_invoice(company=company, number=number)
    if invoice is None:
        form.add_error(
            "preview_invoice",
            _("There is no issued invoice %(number)s.") % {"number": number}
            if number
            else _("There is no issued invoice to preview with yet."),
        )
        return None
    text = Text(subject=form.cleaned_data["subject"], body=form.cleaned_data["body"])
    return {"invoice": invoice, "text": selectors.email_preview(invoice=invoice, text=text)}


def _save_settings(
    request: HttpRequest,
    action: str,
    general: GeneralForm,
    channel_forms: list[ChannelForm],
    template_form: EmailTemplateForm,
) -> str:
    """Save the form named by `action`; the anchor to return to, or "" when refused."""
    company = request.company
    try:
        if action == "general" and general.is_valid():
            services.distribution_settings_save(company=company, **general.cleaned_data)
            return "general"
        if action.startswith("channel:"):
            form = next((f for f in channel_forms if f"channel:{f.channel}" == action), None)
            if form is not None and form.is_valid():
                with transaction.atomic():
                    services.channel_setting_save(
                        company=company,
                        channel=form.channel,
                        is_active=form.cleaned_data["is_active"],
                        options=form.options(),
                        secret=form.cleaned_data.get("secret") or None,
                    )
                return f"channel-{form.channel}"
        if action == "template" and template_form.is_valid():
            services.email_template_save(company=company, **template_form.template())
            return "templates"
    except DomainError as exc:
        target = general if action == "general" else template_form if action == "template" else None
        if target is None:
            target = next(f for f in channel_forms if f"channel:{f.channel}" == action)
        add_domain_error(target, exc)
    return ""
