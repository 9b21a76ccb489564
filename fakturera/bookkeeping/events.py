"""The events bookkeeping publishes (core.events), and what their data holds.

- `voucher.created`: vouchers were booked (an invoice or credit note issued, a payment booked,
  an allocation, a refund, a correction), in the transaction of the business event.
  data: `voucher_ids` (list[int], in number order per series). Webhooks passes it on, one delivery
  per voucher and endpoint (selectors.voucher_data), written in bulk.
"""

VOUCHER_CREATED = "voucher.created"
