"""The events catalog publishes (core.events), and what their data holds.

Subscribers register in their AppConfig.ready(); catalog imports none of them.

- `contact_type.exclusion_changed`: a contact type was excluded from invoicing, or
  included again (seed 001: "välja ifall du vill att en sorts journalanteckning inte ska
  visas i faktureringen").
  data: `contact_type_id` (int), `is_excluded` (bool, the new setting).

Published inside the saving transaction; billables keeps the basis in step in it.
"""

CONTACT_TYPE_EXCLUSION_CHANGED = "contact_type.exclusion_changed"
