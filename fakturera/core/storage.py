"""Where uploaded files and stored objects live: in the database by default, or in an
S3-compatible store when FAKTURERA_S3_BUCKET is set (README, "Settings"). Either way no web
or worker machine keeps a file on its own disk, so any machine serves what another stored.

- `DatabaseStorage` is Django's default file storage without S3 (settings.STORAGES): a
  FileField's file (a company's logo) is a `StoredFile` row, written in the caller's
  transaction, so a logo commits or rolls back with the company that names it.
- With S3, STORAGES["default"] is django-storages' S3Storage (boto3) over the bucket, with
  `file_overwrite` off (two uploads of `logo.png` keep two objects), and the generated
  documents' bytes go to the same bucket (`object_put`, `object_get`; documents/DESIGN.md).
- `file_bytes(name)`: a stored file's bytes for whoever reads it whole (the PDF's logo, the
  staff page showing it), whichever storage holds it; None when there is none.
- `StorageUnavailable`: the store could not be reached, or refused (network, credentials, a
  missing bucket). Raised, never swallowed: a task fails and is tried again, a request answers
  503 (core.unavailable). `StoredObjectMissing`: a row names an object the store does not have.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage
from django.db import IntegrityError, transaction
from django.utils.deconstruct import deconstructible

from fakturera.core.models import StoredFile

# Two uploads racing for one name: each tries the next free name, a few times.
SAVE_ATTEMPTS = 5


class StorageUnavailable(RuntimeError):
    """The file store could not be reached or refused the request; nothing was stored."""


class StoredObjectMissing(RuntimeError):
    """A row names an object the store does not hold (never written by this code: an object is
    written before the row that names it commits)."""


@deconstructible
class DatabaseStorage(Storage):
    """Files as `StoredFile` rows. Names are unique; a taken name gets Django's random suffix.
    There is no URL: the views that show a file read it (`file_bytes`) and answer it themselves,
    so `url()` raises, and a template that would link to the disk fails in its test."""

    def _open(self, name: str, mode: str = "rb") -> File:
        if any(flag in mode for flag in "wa+"):
            raise ValueError(f"DatabaseStorage opens files for reading only, not {mode!r}")
        content = StoredFile.objects.filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(f"No stored file named {name!r}")
        return ContentFile(bytes(content), name=name)

    def _save(self, name: str, content: File) -> str:
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        if isinstance(data, str):
            data = data.encode()
        for _attempt in range(SAVE_ATTEMPTS):
            try:
                with transaction.atomic():
                    StoredFile.objects.create(
                        name=name, content=data, size=len(data), sha256=hashlib.sha256(data).hexdigest()
                    )
                return name
            except IntegrityError:
                name = self.get_available_name(name)  # another upload took it a moment ago
        raise IntegrityError(f"No free name for the stored file {name!r}")

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=name).exists()

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=name).delete()

    def size(self, name: str) -> int:
        size = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(f"No stored file named {name!r}")
        return size

    def get_created_time(self, name: str) -> Any:
        created = StoredFile.objects.filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(f"No stored file named {name!r}")
        return created

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.rstrip("/") + "/" if path.strip("/") else ""
        directories: set[str] = set()
        files: list[str] = []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True):
            head, _, tail = name[len(prefix) :].partition("/")
            if tail:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), sorted(files)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Files in the database have no URL: a view reads them with core.storage.file_bytes")


def is_s3() -> bool:
    """An S3-compatible store is configured (FAKTURERA_S3_BUCKET)."""
    return bool(getattr(settings, "S3_BUCKET", ""))


def _describe() -> str:
    endpoint = getattr(settings, "S3_ENDPOINT_URL", "") or "AWS"
    return f"bucket {settings.S3_BUCKET!r} at {endpoint}"


@contextlib.contextmanager
def _reaching() -> Iterator[None]:
    """boto3's errors as StorageUnavailable (a missing key raises StoredObjectMissing or
    FileNotFoundError before this)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise StorageUnavailable(f"The file store ({_describe()}) could not be used: {exc}") from exc


def _is_not_found(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code") in ("NoSuchKey", "404", "NotFound") or status == 404


def _s3() -> Any:
    if not is_s3():
        raise RuntimeError("No S3-compatible store is configured (FAKTURERA_S3_BUCKET)")
    return default_storage


def _full_key(store: Any, key: str) -> str:
    location = (store.location or "").strip("/")
    return f"{location}/{key}" if location else key


def object_put(key: str, data: bytes) -> None:
    """Write `data` under `key` (below FAKTURERA_S3_PREFIX) in the S3 store, replacing what the
    key held. Returns once the store has it: only then may a row name the key."""
    store = _s3()
    with _reaching():
        store.connection.meta.client.put_object(
            Bucket=store.bucket_name,
            Key=_full_key(store, key),
            Body=data,
            ContentLength=len(data),
            ChecksumAlgorithm="SHA256",  # the store checks the bytes it received
        )


def object_get(key: str) -> bytes:
    """The bytes stored under `key` in the S3 store."""
    from botocore.exceptions import ClientError

    store = _s3()
    with _reaching():
        try:
            answer = store.connection.meta.client.get_object(Bucket=store.bucket_name, Key=_full_key(store, key))
        except ClientError as exc:
            if _is_not_found(exc):
                raise StoredObjectMissing(f"The file store ({_describe()}) has no object {key!r}") from exc
            raise
        return answer["Body"].read()


def file_bytes(name: str) -> bytes | None:
    """The bytes of the stored file `name` (a FileField's name) in the configured storage, or
    None when the name is empty or no such file is stored. StorageUnavailable when the S3 store
    cannot be reached: a caller must not take that for "no file"."""
    if not name:
        return None
    try:
        with _reaching(), default_storage.open(name, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None
