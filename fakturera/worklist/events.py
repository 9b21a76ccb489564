"""The events the worklist publishes (core.events), and what their data holds. Webhooks
announces them. Each is published inside the transaction that makes it true, in batches
(issuing ten thousand invoices opens ten thousand tasks in one `task.opened`).

- `task.opened`: tasks were opened: new ones (issuing, a reminder level, by hand), or closed
  ones opened again (undo). data: `task_ids` (list[int]), `reopened` (bool).
- `task.closed`: tasks were closed. data: `task_ids` (list[int]), `reason` (states.CloseReason:
  done by a person, the invoice paid, the invoice credited in full).
"""

TASK_OPENED = "task.opened"
TASK_CLOSED = "task.closed"
