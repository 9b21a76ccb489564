"""An S3-compatible store for the tests: moto's standalone server on a free loopback port, so
django-storages and boto3 speak real HTTP to it, as they would to MinIO or AWS. A bucket of its
own per test (the server keeps its buckets for the session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from fakturera.core.s3 import storage_from_environment
from fakturera.core.tests.smtp import free_port

REGION = "eu-north-1"
CREDENTIALS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server in a thread of this process; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class Store:
    endpoint: str
    bucket: str
    prefix: str = ""

    def environment(self, **more: str) -> dict[str, str]:
        """The FAKTURERA_S3_* variables of an installation using this store."""
        return {
            "FAKTURERA_S3_BUCKET": self.bucket,
            "FAKTURERA_S3_ENDPOINT_URL": self.endpoint,
            "FAKTURERA_S3_REGION": REGION,
            "FAKTURERA_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "FAKTURERA_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "FAKTURERA_S3_PREFIX": self.prefix,
            "FAKTURERA_S3_TIMEOUT": "2",
        } | more

    @property
    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)

    def create(self) -> Store:
        self.client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        return self

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def use(self, settings: Any) -> Store:
        """Point the Django settings (pytest-django's `settings`) at this store."""
        settings.S3_BUCKET = self.bucket
        settings.S3_ENDPOINT_URL = self.endpoint
        # Assigning STORAGES makes Django drop its storages (django.test.signals).
        settings.STORAGES = {**settings.STORAGES, "default": storage_from_environment(self.environment())}
        return self


def new_store(endpoint: str, *, prefix: str = "") -> Store:
    return Store(endpoint=endpoint, bucket=f"fakturera-{uuid.uuid4().hex[:12]}", prefix=prefix).create()


def unreachable_store() -> Store:
    """A store at a loopback port where nothing listens: every request is refused."""
    return Store(endpoint=f"http://127.0.0.1:{free_port()}", bucket="nowhere")
