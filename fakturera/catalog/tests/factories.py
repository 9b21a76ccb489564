from decimal import Decimal

import factory

from fakturera.catalog.models import ContactType, Product, TreatmentType
from fakturera.parties.tests.factories import CompanyFactory


class TreatmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentType

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Behandling {n}")
    unit_price = Decimal("800.00")
    vat_category = "E"
    vat_rate = Decimal("0")


class ContactTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactType

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Kontakt {n}")
    unit_price = Decimal("500.00")
    vat_category = "S"
    vat_rate = Decimal("25")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Produkt {n}")
    unit_price = Decimal("100.00")
    vat_category = "S"
    vat_rate = Decimal("25")
