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
"""

INVOICE_EXPORTED = "invoice.exported"
