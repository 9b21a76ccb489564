"""Who an invoice goes to: one decision for the paper and for its delivery.

The address printed on the PDF (and seen through a window envelope) is the address a
letter is posted to and the e-mail is the one the invoice is mailed to: issuing stores
`invoice_recipient` in the buyer's snapshot, and distribution routes by the same rule
(`recipient_for`), so they cannot disagree.

The rule (seed 003): with the company setting "invoice a person's organisation" on, a
person who is a member of an organisation is invoiced at the organisation: the e-mail
goes to the organisation's invoice reference, else the organisation, else the person;
the paper is addressed to the organisation, for the attention of the person. An
organisation with an invoice reference person is addressed for the reference's
attention, and its e-mail goes to the reference first. A person's e-mail is their
invoice e-mail, else their own. A postal address is the addressee's, else the first
one known along the same chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakturera.core.bulk import any_of
from fakturera.core.identifiers import peppol_endpoint
from fakturera.parties.models import Company, Customer, OrganisationMember


@dataclass(frozen=True)
class PostalAddress:
    name: str
    lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str


@dataclass(frozen=True)
class Party:
    """A customer as the rule sees it."""

    name: str
    email: str = ""
    address: PostalAddress | None = None
    is_organisation: bool = False
    peppol_id: str = ""


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    address: PostalAddress | None
    is_organisation: bool
    peppol_id: str
    attention: str = ""  # "for the attention of": the person the invoice concerns or the reference

    def as_snapshot(self) -> dict[str, Any]:
        """What an issued invoice keeps (the buyer snapshot's "recipient"): the address block."""
        address = self.address
        lines = address.lines if address is not None else ()
        return {
            "name": self.name,
            "attention": self.attention,
            "address_line1": lines[0] if lines else "",
            "address_line2": " ".join(lines[1:]),
            "postal_code": address.postal_code if address is not None else "",
            "city": address.city if address is not None else "",
            "country": address.country if address is not None else "",
            "email": self.email,
        }


def recipient_for(
    *,
    customer: Party,
    organisation: Party | None = None,
    organisation_reference: Party | None = None,
    is_invoicing_organisation_of_person: bool = False,
    invoice_email: str = "",
    customer_reference: Party | None = None,
) -> Recipient:
    """Who the invoice goes to. `organisation` is the person's organisation (used with
    the company setting on); `customer_reference` is the invoice reference of a customer
    that is an organisation itself; `invoice_email` the invoice's own address, which
    overrides (an empty one derives the address again)."""
    attention = ""
    if is_invoicing_organisation_of_person and organisation is not None and not customer.is_organisation:
        chain = [p for p in (organisation_reference, organisation, customer) if p is not None]
        addressee = organisation
        attention = customer.name
    elif customer.is_organisation:
        chain = [p for p in (customer_reference, customer) if p is not None]
        addressee = customer
        attention = customer_reference.name if customer_reference is not None else ""
    else:
        chain = [customer]
        addressee = customer
    email = invoice_email.strip() or next((party.email for party in chain if party.email), "")
    # A letter goes to the addressee's postal address, else to the first one known in the chain,
    # always under the addressee's name: the envelope says who the invoice is for.
    address = addressee.address or next((party.address for party in chain if party.address is not None), None)
    if address is not None and address.name != addressee.name:
        address = PostalAddress(addressee.name, address.lines, address.postal_code, address.city, address.country)
    return Recipient(
        name=addressee.name,
        email=email,
        address=address,
        is_organisation=addressee.is_organisation,
        peppol_id=addressee.peppol_id,
        attention=attention,
    )


def party(customer: Customer) -> Party:
    address = None
    if customer.has_postal_address:
        address = PostalAddress(
            name=customer.name,
            lines=tuple(line for line in (customer.address_line1, customer.address_line2) if line),
            postal_code=customer.postal_code,
            city=customer.city,
            country=customer.country or "SE",
        )
    return Party(
        name=customer.name,
        # A person's invoice e-mail comes before their own (an organisation's e-mail is its invoice e-mail).
        email=(customer.invoice_email if not customer.is_organisation else "") or customer.email,
        address=address,
        is_organisation=customer.is_organisation,
        peppol_id=peppol_endpoint(customer.peppol_id),
    )


def invoice_recipients(*, company: Company, customer_ids: list[int]) -> dict[int, Recipient]:
    """The recipient of each customer's invoices (before an invoice's own e-mail), with the
    customers, their references and organisations read in two queries whatever the number."""
    customers = list(
        Customer.objects.filter(any_of(Customer, list(customer_ids)), company=company).select_related(
            "invoice_reference"
        )
    )
    return _recipients(company, customers)


def invoice_recipient(customer: Customer, *, company: Company | None = None) -> Recipient:
    """The recipient of one customer's invoices, from the customer in hand (its invoice
    reference read if not already); its organisation is read only with the setting on."""
    return _recipients(company or customer.company, [customer])[customer.pk]


def _recipients(company: Company, customers: list[Customer]) -> dict[int, Recipient]:
    organisation_of: dict[int, Customer] = {}
    persons = [customer.pk for customer in customers if not customer.is_organisation]
    if company.is_invoicing_organisation_of_person and persons:
        memberships = (
            OrganisationMember.objects.filter(any_of(OrganisationMember, persons, "person"))
            .select_related("organisation__invoice_reference")
            .order_by("person_id", "pk")
        )
        for membership in memberships:
            organisation_of.setdefault(membership.person_id, membership.organisation)
    found = {}
    for customer in customers:
        organisation = organisation_of.get(customer.pk)
        reference = organisation.invoice_reference if organisation is not None else None
        own_reference = customer.invoice_reference if customer.invoice_reference_id else None
        found[customer.pk] = recipient_for(
            customer=party(customer),
            organisation=party(organisation) if organisation is not None else None,
            organisation_reference=party(reference) if reference is not None else None,
            is_invoicing_organisation_of_person=company.is_invoicing_organisation_of_person,
            customer_reference=party(own_reference) if own_reference is not None else None,
        )
    return found
