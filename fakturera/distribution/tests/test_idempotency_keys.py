"""Deliveries' idempotency keys: random version-4 UUIDs, made many at a time."""

import uuid

from fakturera.distribution.services import idempotency_keys


def test_keys_are_distinct_version_4_uuids():
    keys = list(idempotency_keys(2000))

    assert len(keys) == len(set(keys)) == 2000
    for key in keys[:50]:
        parsed = uuid.UUID(key)
        assert str(parsed) == key
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    assert list(idempotency_keys(0)) == []
