"""Secrets at rest: the passwords and API keys a company gives its channels, and webhook
signing secrets, are stored encrypted (Fernet: AES-128-CBC with an HMAC-SHA256, from
`cryptography`), never as plaintext.

- The keys come from the environment, `FAKTURERA_SECRET_KEYS` (settings.SECRET_ENCRYPTION_KEYS):
  comma-separated Fernet keys (`fakturera rotate-secrets --new-key` prints one). The first
  encrypts, every one decrypts (`MultiFernet`), so a key is rotated by putting a new one
  first, running `fakturera rotate-secrets` (everything re-encrypted with it), then removing
  the old one.
- Without `FAKTURERA_SECRET_KEYS` the settings refuse to start when DEBUG is off; with DEBUG
  on (`make run`, the tests) one key is derived from SECRET_KEY, so development needs no set-up.
- `EncryptedField`: a model field holding a text encrypted; the model and the services read
  and write plaintext, the database holds only the Fernet token. It cannot be searched (each
  encryption differs); an empty value stays empty, so "is one set?" still is a question of
  `== ""`. The plaintext is never logged: the field's value never appears in a repr here.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, transaction


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (a key removed too early?)."""


def new_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("No key to encrypt secrets with: set FAKTURERA_SECRET_KEYS.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise RuntimeError(
            "FAKTURERA_SECRET_KEYS holds a key that is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from None


def keys() -> tuple[str, ...]:
    return tuple(settings.SECRET_ENCRYPTION_KEYS)


def encrypt(plaintext: str) -> str:
    return _fernet(keys()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with FAKTURERA_SECRET_KEYS (was the key it was made with removed?)."
        ) from None


def is_encrypted(value: str) -> bool:
    """Whether `value` is a token one of the keys decrypts (the migrations ask, before encrypting)."""
    try:
        _fernet(keys()).decrypt(value.encode())
    except InvalidToken:
        return False
    return True


class EncryptedField(models.TextField):
    """A text stored encrypted with the newest key; read back as plaintext."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedField]]:
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedField):
                yield model, field


def rotate() -> int:
    """Re-encrypt every stored secret with the newest key; returns how many were written."""
    written = 0
    for model, field in encrypted_fields():
        with transaction.atomic():
            rows = (
                model._base_manager.select_for_update()
                .exclude(**{field.attname: ""})
                .exclude(**{f"{field.attname}__isnull": True})
            )
            for pk, value in rows.values_list("pk", field.attname):
                model._base_manager.filter(pk=pk).update(**{field.attname: value})
                written += 1
    return written


def encrypt_plaintext_column(apps_registry: Any, schema_editor: Any, *, app_label: str, model_name: str, column: str):
    """For a data migration: encrypt the values of `column` that are still plaintext. Reads
    and writes the column directly, so it works whatever the historical field is."""
    model = apps_registry.get_model(app_label, model_name)
    table = schema_editor.quote_name(model._meta.db_table)
    quoted = schema_editor.quote_name(column)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {quoted} FROM {table} WHERE {quoted} <> ''")  # noqa: S608 - names quoted
        rows = cursor.fetchall()
        for pk, value in rows:
            if value and not is_encrypted(value):
                cursor.execute(f"UPDATE {table} SET {quoted} = %s WHERE id = %s", [encrypt(value), pk])  # noqa: S608


def decrypt_column(apps_registry: Any, schema_editor: Any, *, app_label: str, model_name: str, column: str):
    """The reverse of `encrypt_plaintext_column`: plaintext again, for migrating back."""
    model = apps_registry.get_model(app_label, model_name)
    table = schema_editor.quote_name(model._meta.db_table)
    quoted = schema_editor.quote_name(column)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {quoted} FROM {table} WHERE {quoted} <> ''")  # noqa: S608 - names quoted
        for pk, value in cursor.fetchall():
            if value and is_encrypted(value):
                cursor.execute(f"UPDATE {table} SET {quoted} = %s WHERE id = %s", [decrypt(value), pk])  # noqa: S608
