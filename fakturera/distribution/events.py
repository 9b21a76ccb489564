"""The events distribution publishes (core.events), and what their data holds.

Subscribers register in their AppConfig.ready(); distribution imports none of them.

- `invoice.exported`: the export channel, in its webhook mode, hands invoices to
  the company's accounting system (one event per chunk of the delivery worker,
  `channels/export.py`).
  data: `invoices` (list of Invoice, the chunk's, in the worker's order),
  `ubl` (list of bytes: each invoice's Peppol BIS 3.0 UBL, the same order),
  `receipts` (list of lists of dicts, one empty list per invoice, the same order):
  a subscriber that passes invoice i on appends its reference to `receipts[i]`
  (webhooks: {"kind": "webhook_delivery", "id": 17}, one per endpoint; data,
  worded when shown). An invoice whose list is
  still empty after `publish` returns went nowhere, and its delivery fails. Only
  in-transaction subscribers can answer in time.

Published inside the transaction that records the deliveries' outcomes, so an
outcome and what the subscribers wrote for it commit or roll back together.

The sending state's moves (states.move_sending), one event per company and kind of
move, published in the transaction that moves them:
- `invoice.queued`: invoices wait to be sent (the undo window runs).
- `invoice.sent`: a channel's service accepted the invoice.
- `invoice.reminded`: a reminder of the invoice was accepted.
- `invoice.delivery_failed`: a delivery (of the invoice or of a reminder) failed for
  good; the sending status went back to what it was.
- `invoice.delivery_undone`: a queued delivery was undone in its undo window, or stopped
  because the invoice was credited; the sending status went back to what it was.
  data, for each: `invoice_ids` (list[int]), `purpose` ("invoice" or "reminder"),
  `channels` (dict: invoice id -> channel code, where the move names one) and
  `history` (dict: invoice id -> the history event's params: recipient, reference,
  reason, as data).
"""

INVOICE_EXPORTED = "invoice.exported"
INVOICE_QUEUED = "invoice.queued"
INVOICE_SENT = "invoice.sent"
INVOICE_REMINDED = "invoice.reminded"
INVOICE_DELIVERY_FAILED = "invoice.delivery_failed"
INVOICE_DELIVERY_UNDONE = "invoice.delivery_undone"
