"""documents_render leaves the invoices another process is making documents for (its claims,
core.claims) to that process: it makes the rest, then looks at those again once the other is
done, and makes what the other did not store (it died, or took too long)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from fakturera.core.claims import claims_take
from fakturera.documents import services
from fakturera.documents.models import DocumentFormat, InvoiceDocument
from fakturera.documents.pdf import render
from fakturera.documents.services import RENDERING, documents_render
from fakturera.invoicing.tests.factories import issued_invoice

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="claims are kept on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def invoices(company, admin_user):
    made = [issued_invoice(company, admin_user, f"{100 * n}.00") for n in range(1, 4)]
    InvoiceDocument.objects.all().delete()
    return made


@pytest.fixture
def laid_out(monkeypatch):
    """The invoice numbers each thread laid out, batch by batch."""
    seen: list[tuple[str, list[str]]] = []
    real_render_batch = render._render_batch

    def render_batch(template, contents, pages, logo=None):
        seen.append((threading.current_thread().name, [content["number"] for content in contents]))
        return real_render_batch(template, contents, pages, logo)

    monkeypatch.setattr(render, "_render_batch", render_batch)
    return seen


@pytest.fixture
def other_session():
    """A session of its own, as another worker process has; closed (dead) at the end at the latest."""
    session = connection.get_new_connection(connection.get_connection_params())
    session.autocommit = True
    yield session
    session.close()


def _every_document(invoices):
    return sorted((invoice.pk, fmt) for invoice in invoices for fmt in (DocumentFormat.PDF, DocumentFormat.UBL))


def _stored():
    return sorted(InvoiceDocument.objects.values_list("invoice_id", "format"))


def _wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


def test_an_invoice_another_process_is_laying_out_is_left_to_it_and_its_documents_kept(invoices, laid_out):
    first, second, third = invoices
    claimed_by_other = threading.Event()
    others_stored: list[int] = []

    def other_process() -> None:
        # A delivery worker that caught up: it claims the second invoice, lays it out while
        # this call makes the other two, and stores it.
        try:
            assert claims_take(RENDERING, [second.pk]) == {second.pk}
            claimed_by_other.set()
            _wait_until(lambda: InvoiceDocument.objects.filter(invoice__in=[first, third]).count() == 4)
            others_stored.append(documents_render(invoice_ids=[second.pk]))
        finally:
            connection.close()  # its claim goes with its session, as when a worker stops

    other = threading.Thread(target=other_process, name="other")
    other.start()
    claimed_by_other.wait(10)
    stored = documents_render(invoice_ids=[invoice.pk for invoice in invoices])
    other.join(30)

    assert stored == 2 * 2
    assert others_stored == [2]
    assert _stored() == _every_document(invoices)
    main = threading.current_thread().name
    assert laid_out == [(main, [first.display_number, third.display_number]), ("other", [second.display_number])]


def test_what_a_process_that_died_left_unmade_is_made_once_its_claim_is_gone(invoices, laid_out, other_session):
    first, second, third = invoices
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [RENDERING, second.pk])
    # killed before it stored anything: its session ends a moment later
    threading.Timer(0.5, other_session.close).start()

    stored = documents_render(invoice_ids=[invoice.pk for invoice in invoices])

    assert stored == 2 * 3
    assert _stored() == _every_document(invoices)
    numbers = [batch for _thread, batch in laid_out]
    assert numbers == [[first.display_number, third.display_number], [second.display_number]]


def test_a_claim_held_past_the_limit_is_not_waited_for_any_longer(
    invoices, laid_out, monkeypatch, caplog, other_session
):
    second = invoices[1]
    monkeypatch.setattr(services, "CLAIM_WAIT_SECONDS", 0.3)
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [RENDERING, second.pk])
    started = time.monotonic()
    stored = documents_render(invoice_ids=[invoice.pk for invoice in invoices])
    waited = time.monotonic() - started

    assert stored == 2 * 3
    assert _stored() == _every_document(invoices)
    assert [batch for _thread, batch in laid_out][-1] == [second.display_number]
    assert waited < 10
    assert f"The documents of invoice {second.pk} stayed claimed over 0.3 s; made here too" in caplog.text
