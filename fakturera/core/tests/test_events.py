"""core.events: in-transaction handlers share the publisher's fate, on-commit ones run after it."""

from __future__ import annotations

import pytest
from django.db import transaction

from fakturera.core import events
from fakturera.core.events import IN_TRANSACTION, ON_COMMIT, Many, publish, subscribe, unsubscribe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calls():
    seen: list[tuple[str, object]] = []

    def inside(event):
        seen.append(("inside", event["n"]))

    def after(event):
        seen.append(("after", event["n"]))

    subscribe("thing.happened", inside, when=IN_TRANSACTION)
    subscribe("thing.happened", after, when=ON_COMMIT)
    yield seen
    unsubscribe("thing.happened", inside)
    unsubscribe("thing.happened", after)


def test_in_transaction_runs_at_once_and_on_commit_after_the_commit(calls):
    with transaction.atomic():
        publish("thing.happened", company_id=1, n=1)
        assert calls == [("inside", 1)]
    assert calls == [("inside", 1), ("after", 1)]


def test_a_rolled_back_event_runs_no_on_commit_handler(calls):
    def publish_then_fail():
        with transaction.atomic():
            publish("thing.happened", company_id=1, n=2)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert calls == [("inside", 2)]


def test_outside_a_transaction_both_run(calls):
    publish("thing.happened", company_id=1, n=3)
    assert calls == [("inside", 3), ("after", 3)]


def test_an_in_transaction_error_rolls_the_publisher_back_and_an_on_commit_error_is_only_logged(caplog):
    from django.contrib.auth.models import Group

    def broken(event):
        raise ValueError("listener broke")

    subscribe("thing.broke", broken, when=IN_TRANSACTION)
    try:

        def write_and_publish():
            with transaction.atomic():
                Group.objects.create(name="kept only if the event is")
                publish("thing.broke", company_id=1)

        with pytest.raises(ValueError, match="listener broke"):
            write_and_publish()
        assert not Group.objects.filter(name="kept only if the event is").exists()
    finally:
        unsubscribe("thing.broke", broken)

    subscribe("thing.broke", broken, when=ON_COMMIT)
    try:
        with transaction.atomic():
            Group.objects.create(name="committed")
            publish("thing.broke", company_id=1)
        assert Group.objects.filter(name="committed").exists()
        assert "subscriber" in caplog.text
        assert "failed" in caplog.text
    finally:
        unsubscribe("thing.broke", broken)


def test_subscribing_twice_is_once_and_names_are_checked(calls):
    subscribe("thing.happened", events.subscriptions("thing.happened")[0].handler, when=IN_TRANSACTION)
    assert len(events.subscriptions("thing.happened")) == 2
    with pytest.raises(ValueError, match="noun"):
        subscribe("nodot", print)
    with pytest.raises(ValueError, match="when"):
        subscribe("a.b", print, when="later")


def test_many_is_lazy_and_iterates_again():
    built = []

    def factory():
        built.append(1)
        return iter([1, 2])

    many = Many(factory)
    assert built == []
    assert list(many) == [1, 2]
    assert list(many) == [1, 2]
    assert len(built) == 2


def test_recorded_lists_what_was_published():
    with events.recorded() as seen:
        publish("thing.noted", company_id=7, actor=None, x=1)
    assert [(e.name, e.company_id, e["x"]) for e in seen] == [("thing.noted", 7, 1)]
