"""/metrics as Prometheus scrapes it: django-prometheus' own figures and the installation's
(queues, deliveries per channel and outcome, webhook failures, the scheduler's jobs with
what they counted, payment imports), read from the database so any web process answers for
every machine; only with the token, or straight from loopback without one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from fakturera.core.scheduler import registered, run_due
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.payments.models import PaymentImport
from fakturera.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_the_installations_figures_are_on_metrics(client, company, admin_user):
    # given two invoices printed and one still queued
    channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
    distribution_settings_save(
        company=company, default_channel=Channel.PRINT, reserve_channel="", reminder_channel="", undo_minutes=0
    )
    sent = [basis_registered(company, admin_user, "100.00") for _ in range(2)]
    invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk for invoice in sent])
    assert deliveries_work(now=timezone.now() + dt.timedelta(minutes=1)).sent == 2
    waiting = basis_registered(company, admin_user, "50.00")
    invoices_send(company=company, actor=admin_user, invoice_ids=[waiting.pk])
    # a webhook that ran out of attempts after a 500
    endpoint = WebhookEndpoint.objects.create(company=company, url="https://example.se/h", events=[], secret="x")
    failed = WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.TEST, payload={}, status=DeliveryStatus.FAILED
    )
    WebhookAttempt.objects.create(delivery=failed, at=timezone.now(), status_code=500)
    # the scheduler's jobs ran once, the reminders job counting what it queued
    run_due(registered(), now=timezone.localtime())
    # and a bank file of three lines, two booked
    PaymentImport.objects.create(
        company=company, sha256="0" * 64, format="camt.054", transaction_count=3, booked_count=2, matched_count=2,
        unmatched_count=1,
    )  # fmt: skip

    assert client.get("/login/").status_code == 200

    # when Prometheus scrapes from loopback
    figures = samples(client.get("/metrics"))

    # then
    assert figures[("fakturera_deliveries", (("channel", "print"), ("state", "sent")))] == 2
    assert figures[("fakturera_deliveries", (("channel", "print"), ("state", "queued")))] == 1
    assert figures[("fakturera_queue_depth", (("queue", "deliveries"),))] == 1
    assert figures[("fakturera_queue_depth", (("queue", "webhooks"),))] == 0
    assert ("fakturera_queue_oldest_age_seconds", (("queue", "tasks"),)) in figures
    assert figures[("fakturera_webhook_deliveries", (("event", "test"), ("status", "failed")))] == 1
    assert figures[("fakturera_webhook_attempts_failed_total", ())] == 1
    for job in registered():
        assert figures[("fakturera_scheduler_job_last_ok", (("job", job.name),))] == 1
        assert figures[("fakturera_scheduler_job_last_success_timestamp_seconds", (("job", job.name),))] > 0
        assert ("fakturera_scheduler_job_last_duration_seconds", (("job", job.name),)) in figures
    assert figures[("fakturera_scheduler_job_last_figure", (("figure", "reminders"), ("job", "reminders due")))] == 0
    assert figures[("fakturera_payment_imports_total", ())] == 1
    assert figures[("fakturera_payment_import_lines_total", (("outcome", "booked"),))] == 2
    assert figures[("fakturera_payment_import_latest_lines", (("outcome", "unmatched"),))] == 1
    # and django-prometheus' own: the requests this process answered
    assert figures[("django_http_requests_total_by_method_total", (("method", "GET"),))] >= 1
    assert figures[("django_http_requests_before_middlewares_total", ())] >= 2


def test_with_a_token_set_metrics_need_it(client, settings):
    settings.METRICS_TOKEN = "a-long-random-metrics-token"

    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer a-long-random-metrics-token")
    assert response.status_code == 200
    assert b"fakturera_queue_depth" in response.content
    # from any address, as a scraper on another machine asks
    assert (
        Client(REMOTE_ADDR="10.0.0.9")
        .get("/metrics", HTTP_AUTHORIZATION="Bearer a-long-random-metrics-token")
        .status_code
        == 200
    )


def test_without_a_token_only_a_direct_request_from_loopback_sees_metrics(client, settings):
    settings.METRICS_TOKEN = ""

    refused = Client(REMOTE_ADDR="10.0.0.9").get("/metrics")
    assert refused.status_code == 403
    assert b"FAKTURERA_METRICS_TOKEN" in refused.content
    assert b"fakturera_" not in refused.content
    # a proxy on the same machine forwards everyone's requests from loopback
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 403
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/metrics").status_code == 403
    settings.TRUSTED_PROXY_COUNT = 0
    assert client.get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
