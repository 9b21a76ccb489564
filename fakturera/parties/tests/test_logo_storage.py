"""Logos live in the file storage (core.storage), never on a machine's disk; a logo uploaded
before that, a file under MEDIA_ROOT, is moved into the storage by migration 0012."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from fakturera.core.models import StoredFile
from fakturera.parties.models import Company
from fakturera.parties.selectors import company_logo
from fakturera.parties.services import company_update
from fakturera.parties.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

moved = importlib.import_module("fakturera.parties.migrations.0012_logos_into_storage")


def test_a_logo_uploaded_before_the_upgrade_is_moved_from_media_root_into_the_database(settings, tmp_path, capsys):
    # given two companies whose logos were files under MEDIA_ROOT, one of them gone missing
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "klinik.png").write_bytes(b"\x89PNG old logo")
    kept = CompanyFactory(logo="logos/klinik.png")
    lost = CompanyFactory(logo="logos/gone.png")
    outside = CompanyFactory(logo="../escape.png")

    # when the migration runs
    moved.logos_into_storage(global_apps, None)
    moved.logos_into_storage(global_apps, None)  # twice changes nothing

    # then the one found is in the database under its name, read as before
    stored = StoredFile.objects.get(name="logos/klinik.png")
    assert (bytes(stored.content), stored.size) == (b"\x89PNG old logo", 13)
    assert company_logo(company=kept) == b"\x89PNG old logo"
    # and the missing ones are named for the operator, and left as they were
    said = capsys.readouterr().out
    assert "'logos/gone.png' is not under" in said
    assert "'../escape.png' is not under" in said
    assert company_logo(company=lost) is None
    assert company_logo(company=outside) is None
    assert StoredFile.objects.count() == 1


def test_an_uploaded_logo_goes_to_the_database_under_the_company_id(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    company = CompanyFactory()

    company_update(company=company, logo=ContentFile(b"\x89PNG new", name="logo.png"))

    company = Company.objects.get(pk=company.pk)
    assert company.logo.name == f"logos/{company.pk}/logo.png"
    assert company_logo(company=company) == b"\x89PNG new"
    assert not settings.MEDIA_ROOT.exists()
    # a second upload of the same name keeps the first file (another name)
    second = default_storage.save(company.logo.name, ContentFile(b"second"))
    assert second != company.logo.name
    assert default_storage.open(second).read() == b"second"
    assert default_storage.listdir(f"logos/{company.pk}") == (
        [],
        sorted([company.logo.name.rsplit("/")[-1], second.rsplit("/")[-1]]),
    )
