import pytest

from fakturera.courses.selectors import registration_form_forget


@pytest.fixture(autouse=True)
def _forms_read_afresh():
    """Each test starts without public forms kept from another test."""
    registration_form_forget()
    yield
    registration_form_forget()
