"""The events invoicing publishes (core.events), and what their data holds.

Subscribers register in their AppConfig.ready(); invoicing imports none of them.

- `invoice.issued`: invoices (or credit notes) became issued: drafts issued, one
  created issued, the basis registered.
  data: `invoice_ids` (list[int], in number order), `invoices` (core.events.Many of
  Invoice, the same order, built only when iterated; some columns may be deferred).
- `invoice.credited`: a credit note was issued for an invoice.
  data: `invoice` (the original, its status already moved), `credit_note` (the new
  credit note), `is_full` (bool: nothing is left to credit), `returned_to_basis`
  (list[int]: the basis items made to bill again what the credit returned to the basis;
  empty unless the credit asked for it, billables.basis_items_return).
- `exchange_rates.saved`: the company's exchange rates were entered, imported or posted.
  data: `currencies` (list[str]), `dates` (list[str], ISO dates: the days given rates).

Every publication happens inside the transaction that makes it true.
"""

INVOICE_ISSUED = "invoice.issued"
INVOICE_CREDITED = "invoice.credited"
EXCHANGE_RATES_SAVED = "exchange_rates.saved"
