"""The events parties publishes (core.events), and what their data holds.

- `company.created`: a new company (tenant) exists. data: `company`. Invoicing
  gives it its number series in the same transaction.
"""

COMPANY_CREATED = "company.created"
