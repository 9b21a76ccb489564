"""Deliveries' idempotency keys: version-7 UUIDs (RFC 9562), made many at a time, in order."""

import time
import uuid

from fakturera.distribution.services import idempotency_keys


def test_keys_are_distinct_version_7_uuids_in_ascending_order():
    before = time.time_ns() // 1_000_000
    keys = list(idempotency_keys(2000))
    after = time.time_ns() // 1_000_000

    assert len(keys) == len(set(keys)) == 2000
    assert keys == sorted(keys)
    for key in keys:
        parsed = uuid.UUID(key)
        assert str(parsed) == key
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert before <= parsed.int >> 80 <= after  # the time in milliseconds
    assert list(idempotency_keys(0)) == []


def test_two_calls_in_the_same_millisecond_give_distinct_keys():
    first = set(idempotency_keys(5000, now_ms=1_796_601_600_000))
    second = set(idempotency_keys(5000, now_ms=1_796_601_600_000))

    assert len(first) == len(second) == 5000
    assert not first & second
    # The counters start at random places: the second call's keys are not the first's run again.
    assert min(second) != min(first)


def test_the_random_tail_varies_from_key_to_key():
    keys = [uuid.UUID(key).int for key in idempotency_keys(200)]

    assert len({key & 0xFFFFFFFF for key in keys}) > 190
