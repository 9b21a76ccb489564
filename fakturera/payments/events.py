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
- `allocation.booked`: the Ledger wrote (booking.Ledger.write, which every way money reaches or
  leaves an invoice goes through): payments received, allocations made or undone, credit moved,
  refunds, a payment undone. data: `allocation_ids` (list[int], the new Allocation rows, reversals
  among them), `payment_ids` (list[int], the payments received with them, possibly with no
  allocation: unmatched or a credit), `reversed_payment_ids` (list[int], payments undone as
  registered by mistake). Bookkeeping books them in this transaction (its vouchers must not be
  lost).
"""

PAYMENT_RECEIVED = "payment.received"
PAYMENT_UNMATCHED = "payment.unmatched"
INVOICE_PAID = "invoice.paid"
INVOICE_OVERPAID = "invoice.overpaid"
ALLOCATION_BOOKED = "allocation.booked"
