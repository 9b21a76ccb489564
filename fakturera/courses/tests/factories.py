import datetime as dt
from decimal import Decimal

from fakturera.courses import services
from fakturera.courses.models import CourseKind
from fakturera.courses.services import course_create, occurrence_create, registration_form_update, registration_submit

# Valid identifiers (check digits) for the forms.
ORG_A = "556036-0793"
VAT_A = "SE556036079301"
PEPPOL_A = "0007:5560360793"
ORG_B = "556703-7485"
VAT_B = "SE556703748501"


def make_occurrence(company, *, kind=CourseKind.OPEN, price="4900", approval=False, **form_settings):
    """A course with one occurrence and its public form, through the services."""
    course = course_create(company=company, name="Projektledning i praktiken", kind=kind, account_code="3010")
    occurrence = occurrence_create(
        course=course,
        starts_on=dt.date(2026, 12, 7),
        ends_on=dt.date(2026, 12, 8),
        place="Linköping",
        price=Decimal(price),
    )
    form = occurrence.registration_form
    registration_form_update(form=form, needs_manager_approval=approval, **form_settings)
    return occurrence


def submit(occurrence, **fields):
    data = {
        "name": "Anna Lind",
        "email": "anna.lind@firma.example",
        "organisation_name": "Firma Ett AB",
        "org_number": ORG_A,
        "peppol_id": PEPPOL_A,
        "project_number": "P-100",
        **fields,
    }
    return registration_submit(form=occurrence.registration_form, **data)


def submit_processed(occurrence, actor, **fields):
    """A registration submitted and processed the plain way: a new person and a new
    organisation that pays for itself."""
    registration = submit(occurrence, **fields)
    services.registration_process(
        registration=registration,
        actor=actor,
        participant=services.NEW,
        represented_organisation=services.NEW,
        paying_organisation=services.SAME,
    )
    return registration
