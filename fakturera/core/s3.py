"""The S3-compatible store's configuration from the environment (README, "Settings"):
`storage_from_environment` gives settings.STORAGES its "default" entry, django-storages'
S3Storage over FAKTURERA_S3_BUCKET, or None when no bucket is named (files then stay in the
database: core/storage.py). Read by settings.py, so it imports nothing of Django's models;
the tests build their moto-backed store with it too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

BACKEND = "storages.backends.s3.S3Storage"
VARIABLES = (
    "FAKTURERA_S3_BUCKET", "FAKTURERA_S3_ENDPOINT_URL", "FAKTURERA_S3_REGION", "FAKTURERA_S3_ACCESS_KEY_ID",
    "FAKTURERA_S3_SECRET_ACCESS_KEY", "FAKTURERA_S3_PREFIX", "FAKTURERA_S3_TIMEOUT", "FAKTURERA_S3_ADDRESSING_STYLE",
)  # fmt: skip


def storage_from_environment(env: Mapping[str, str]) -> dict[str, Any] | None:
    bucket = env.get("FAKTURERA_S3_BUCKET", "").strip()
    if not bucket:
        given = [name for name in VARIABLES if env.get(name)]
        if given:
            raise ImproperlyConfigured(f"{', '.join(given)} set but FAKTURERA_S3_BUCKET is not: name the bucket.")
        return None
    from botocore.config import Config

    endpoint = env.get("FAKTURERA_S3_ENDPOINT_URL", "").strip()
    try:
        timeout = float(env.get("FAKTURERA_S3_TIMEOUT", "") or 10)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"FAKTURERA_S3_TIMEOUT={env['FAKTURERA_S3_TIMEOUT']!r}: seconds, such as 10."
        ) from exc
    style = env.get("FAKTURERA_S3_ADDRESSING_STYLE", "").strip() or ("path" if endpoint else "auto")
    if style not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured(f"FAKTURERA_S3_ADDRESSING_STYLE={style!r}: auto, path or virtual.")
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": env.get("FAKTURERA_S3_REGION", "").strip() or None,
        # None: boto3 finds the credentials itself (the AWS_* variables, an instance role).
        "access_key": env.get("FAKTURERA_S3_ACCESS_KEY_ID") or None,
        "secret_key": env.get("FAKTURERA_S3_SECRET_ACCESS_KEY") or None,
        "location": env.get("FAKTURERA_S3_PREFIX", "").strip("/"),
        "file_overwrite": False,  # two uploads named logo.png keep two objects
        "default_acl": None,  # the bucket's own policy: private
        # A store that does not answer fails within seconds (the task is tried again later),
        # not after boto3's default minute of connecting.
        "client_config": Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": style},
        ),
    }
    return {"BACKEND": BACKEND, "OPTIONS": options}
