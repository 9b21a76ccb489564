"""The recipient read from the database: with "invoice a person's organisation" on, a
person's invoice goes to the organisation's invoice reference (seed 003)."""

from __future__ import annotations

import pytest

from fakturera.distribution.models import Delivery
from fakturera.distribution.services import invoices_send
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.services import customer_update, organisation_member_add
from fakturera.parties.tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_a_persons_invoice_goes_to_the_organisations_invoice_reference(company, admin_user):
    company.is_invoicing_organisation_of_person = True
    company.save()
    invoice = basis_registered(company, admin_user, "100.00")
    organisation = OrganisationFactory(company=company, name="Firma AB", email="faktura@firma.se")
    reference = PersonFactory(company=company, name="Ref Erens", email="ref@firma.se")
    organisation_member_add(organisation=organisation, person=invoice.customer)
    organisation_member_add(organisation=organisation, person=reference)
    customer_update(customer=organisation, invoice_reference=reference)
    email_channel(company, 25)

    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])

    delivery = Delivery.objects.get()
    assert (delivery.recipient, delivery.address["email"]) == ("Firma AB", "ref@firma.se")
