"""The events collections publishes (core.events), and what their data holds. Webhooks
announces them; the worklist opens staff tasks and notifies relationship managers from them.

- `reminders.queued`: a run gave invoices their next reminder level (queued for sending, or a
  staff task only). data: `reminders` (list of dicts: `reminder_id`, `invoice_id`,
  `customer_id`, `level`, `task_mode` ("", "beside" or "instead": collections.states.TaskMode),
  `is_last_level`).
"""

REMINDERS_QUEUED = "reminders.queued"

# - `invoice.overdue`: invoices found overdue and unpaid for the first time (once per invoice:
#   models.OverdueNotice's unique key). data: `invoices` (list of dicts: `invoice_id`,
#   `customer_id`, `number`, `currency`, `due_on`, `open_amount`, `days_late`), `invoice_ids`.
# - `invoice.sent_to_collection`: invoices handed over to debt collection (models.CollectionClaim).
#   data: `claim_ids`, `invoice_ids`, `actor_id`.
INVOICE_OVERDUE = "invoice.overdue"
INVOICE_SENT_TO_COLLECTION = "invoice.sent_to_collection"
