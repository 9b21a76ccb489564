import datetime as dt

import factory

from fakturera.autogiro.models import AutogiroSettings, Mandate
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory


class AutogiroSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AutogiroSettings

    company = factory.SubFactory(CompanyFactory)
    customer_number = "471117"
    bankgiro = "991-2346"


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mandate

    company = factory.SubFactory(CompanyFactory)
    customer = factory.SubFactory(PersonFactory, company=factory.SelfAttribute("..company"))
    payer_number = factory.LazyAttribute(lambda m: str(m.customer.number))
    clearing_number = "8327"
    account_number = "9999999"
    valid_from = dt.date(2026, 11, 1)
