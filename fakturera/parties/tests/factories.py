import factory
from django.contrib.auth import get_user_model

from fakturera.invoicing.numbering import series_create_default
from fakturera.parties.models import Company, CompanyUser, Customer, CustomerKind


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Klinik {n} AB")
    country = "SE"
    org_number = factory.Sequence(lambda n: _valid_orgnr(n))
    vat_number = factory.LazyAttribute(lambda c: "SE" + c.org_number.replace("-", "") + "01")
    bankgiro = "991-2346"
    address_line1 = "Storgatan 1"
    postal_code = "111 22"
    city = "Stockholm"
    email = "faktura@example.se"

    @factory.post_generation
    def series(self, create, extracted, **kwargs):
        if create:
            series_create_default(company=self)


def _valid_orgnr(n: int) -> str:
    from stdnum import luhn

    base = f"55{(n + 100000) % 1000000:06d}0"[:9]
    return f"{base[:6]}-{base[6:]}{luhn.calc_check_digit(base)}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.se")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-1")

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyUser

    company = factory.SubFactory(CompanyFactory)
    user = factory.SubFactory(UserFactory)
    role = "accountant"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    company = factory.SubFactory(CompanyFactory)
    kind = CustomerKind.PERSON
    number = factory.Sequence(lambda n: 1001 + n)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda p: f"{p.name.lower().replace(' ', '.')}@example.se")
    address_line1 = "Vägen 2"
    postal_code = "222 33"
    city = "Lund"


class OrganisationFactory(PersonFactory):
    kind = CustomerKind.ORGANISATION
    name = factory.Sequence(lambda n: f"Organisation {n} AB")
    org_number = "556036-0793"
    vat_number = "SE556036079301"
