"""The collections app's daily job, registered with core's scheduler in CollectionsConfig.ready()."""

from __future__ import annotations

import logging

from django.utils import timezone

from fakturera.collections.models import CollectionSettings
from fakturera.collections.run import reminders_run
from fakturera.core.errors import DomainError
from fakturera.core.scheduler import Report
from fakturera.parties.models import Company

logger = logging.getLogger(__name__)


def reminders_run_today() -> Report:
    """Every company's reminders due today, for the companies that chose to let the job send
    them (Settings, Collections; off by default). Each company on its own: one company's refusal
    (no channel set up) or fault is logged and never stops the others. A missed day is caught up
    by the next run, each invoice's one due level (collections.run)."""
    today = timezone.localdate()
    automatic = CollectionSettings.objects.filter(is_reminding_automatically=True).values_list("company_id")
    queued = companies = refused = 0
    for company in Company.objects.filter(pk__in=automatic).order_by("pk").iterator():
        try:
            result = reminders_run(company=company, on=today)
        except DomainError as exc:
            refused += 1
            logger.warning("Reminders of company %s not sent: %s", company.pk, exc.message)
            continue
        except Exception:
            refused += 1
            logger.exception("Reminders of company %s failed", company.pk)
            continue
        if result.queued or result.tasks:
            companies += 1
            queued += result.queued + result.tasks
    # The figures go to /metrics with the run (reminders per run; core/scheduler.py, Report).
    return Report(
        f"{queued} reminders of {companies} companies; {refused} companies refused",
        reminders=queued,
        companies=companies,
        companies_refused=refused,
    )
