"""The events payments publishes (core.events), and what their data holds. Webhooks
announces them; collections and bookkeeping subscribe. Every one is published inside the
transaction that books what it says, in batches (an import is one event of each name).

- `payment.received`: payments were booked (a file, by hand, the API, an Autogiro report).
  data: `payment_ids` (list[int]).
- `payment.unmatched`: booked payments that found no invoice and no customer (the queue).
  data: `payment_ids` (list[int]).
- `invoice.paid`: invoices became paid (nothing left to pay). data: `invoice_ids`.
- `invoice.overpaid`: invoices received more than they owe (the excess is the customer's
  credit balance). data: `invoice_ids`.
"""

PAYMENT_RECEIVED = "payment.received"
PAYMENT_UNMATCHED = "payment.unmatched"
INVOICE_PAID = "invoice.paid"
INVOICE_OVERPAID = "invoice.overpaid"
