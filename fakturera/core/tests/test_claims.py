"""core/claims.py: claims on ids, kept as PostgreSQL advisory locks, given up when the work is
done or its process dies; granted all at once where they cannot be kept."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from fakturera.core.claims import claim_wait, claimed, claims_release, claims_take

KIND = 0x5445  # a kind of the tests' own
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL")


def _other_process():
    """A session of its own, as another worker process has."""
    other = connection.get_new_connection(connection.get_connection_params())
    other.autocommit = True
    return other


def _held_here() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND pid = pg_backend_pid()",
            [KIND],
        )
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_what_another_process_claimed_is_not_taken_and_the_rest_is_held_until_the_block_ends():
    other = _other_process()
    try:
        assert claims_take_in(other, [2, 4]) == {2, 4}
        with claimed(KIND, [1, 2, 3, 4, 5, 3]) as taken:
            assert taken == {1, 3, 5}
            assert _held_here() == 3  # 3 asked twice, held once
            assert claims_take_in(other, [1, 3]) == set()  # the other cannot take what this one holds
        assert _held_here() == 0
        assert claims_take_in(other, [1, 3]) == {1, 3}
    finally:
        other.close()


def claims_take_in(session, ids: list[int]) -> set[int]:
    rows = session.execute(
        "SELECT id FROM unnest(%s::bigint[]) AS t(id) WHERE pg_try_advisory_lock(%s, id::int)", [ids, KIND]
    ).fetchall()
    return {row[0] for row in rows}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_claims_are_given_up_when_the_block_fails():
    def work() -> None:
        with claimed(KIND, [7, 8]) as taken:
            assert taken == {7, 8}
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        work()
    assert _held_here() == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_claims_of_a_process_that_died_are_free_and_a_wait_for_them_ends():
    other = _other_process()
    try:
        assert claims_take_in(other, [11]) == {11}
        assert claims_take(KIND, [11]) == set()
        started = time.monotonic()
        assert not claim_wait(KIND, 11, seconds=0.3)  # held all along: the wait gives up
        assert 0.3 <= time.monotonic() - started < 2
    finally:
        other.close()  # the process dies
    assert claim_wait(KIND, 11, seconds=5)
    assert _held_here() == 0  # the wait held nothing afterwards
    taken = claims_take(KIND, [11])
    assert taken == {11}
    claims_release(KIND, sorted(taken))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_every_id_is_granted_and_nothing_held():
    other = _other_process()
    try:
        claims_take_in(other, [21])
        with transaction.atomic(), claimed(KIND, [21, 22]) as taken:
            assert taken == {21, 22}
            assert _held_here() == 0
            assert claim_wait(KIND, 21, seconds=0)
    finally:
        other.close()


@pytest.mark.django_db
def test_where_claims_are_not_kept_every_id_is_granted():
    # SQLite, and PostgreSQL inside the test's transaction: one writer, or a result no one else
    # could see before the commit.
    with claimed(KIND, [1, 2]) as taken:
        assert taken == {1, 2}
    with claimed(KIND, [3], enabled=False) as taken:
        assert taken == {3}
