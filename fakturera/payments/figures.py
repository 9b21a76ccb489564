"""The installation's figures of payments, for operations (/metrics): the bank files imported
and what became of their lines, in all and in the latest import. Aggregates only."""

from __future__ import annotations

from django.db.models import Count, Sum

from fakturera.payments.models import PaymentImport

LINE_FIELDS = {
    "transactions": "transaction_count",
    "booked": "booked_count",
    "matched": "matched_count",
    "unmatched": "unmatched_count",
    "already_booked": "skipped_count",
    "not_incoming": "ignored_count",
}


def imports_summary() -> dict[str, object]:
    """{"imports": N, "lines": {outcome: total}, "latest": {outcome: count in the latest import}}."""
    totals = PaymentImport.objects.aggregate(
        imports=Count("id"), **{name: Sum(field) for name, field in LINE_FIELDS.items()}
    )
    latest = PaymentImport.objects.order_by("-created_at", "-pk").values(*LINE_FIELDS.values()).first() or {}
    return {
        "imports": totals.pop("imports"),
        "lines": {name: totals[name] or 0 for name in LINE_FIELDS},
        "latest": {name: latest.get(field, 0) for name, field in LINE_FIELDS.items()},
    }
