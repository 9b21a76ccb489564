"""The events collections publishes (core.events), and what their data holds. Webhooks
announces them; the worklist opens staff tasks and notifies relationship managers from them.

- `reminders.queued`: a run gave invoices their next reminder level (queued for sending, or a
  staff task only). data: `reminders` (list of dicts: `reminder_id`, `invoice_id`,
  `customer_id`, `level`, `task_mode` ("", "beside" or "instead": collections.states.TaskMode),
  `is_last_level`).
"""

REMINDERS_QUEUED = "reminders.queued"
