"""The events courses publishes (core.events), and what their data holds.

Subscribers register in their AppConfig.ready(); courses imports none of them.

- `course_basis.exported`: staff sent the basis report to the company's accounting
  system (Basis report, Send; `services.course_basis_export`).
  data: `scope` (dict: what the report was chosen by: `occurrence_id`, `course` and
  `dates` for one occurrence, or `first` and `last` (ISO dates) for a period),
  `rows` (list of dicts, one per basis row, keyed by `selectors.REPORT_COLUMNS`),
  `receipts` (list of dicts, empty when published: every subscriber that passes the
  basis on appends one per receiver, such as {"kind": "webhook_delivery", "id": 17}; still
  empty after `publish` returns means that nothing took the basis, and the staff
  page says so). Only in-transaction subscribers can answer in time.

Published inside the caller's transaction (its own when there is none).
"""

COURSE_BASIS_EXPORTED = "course_basis.exported"
