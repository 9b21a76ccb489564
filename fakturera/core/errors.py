"""Domain errors: what a service refuses, said so a person can act on it.

A service raises `DomainError` (or a subclass) before it writes anything, or inside
its transaction so that the write is rolled back. Views show `message`; the API
(later) maps `code` and `field` to its JSON error body.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """Several field errors at once, as a form shows them. The API answers them as `refused`:
    the values have the documented form, and a rule of ours refuses them."""

    code = "refused"

    def __init__(self, errors: dict[str, list[str]]):
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field)
        self.errors = errors


class StateConflict(DomainError):
    """The row is not in a state that allows the action (issued, already credited...)."""

    code = "conflict"


class PermissionDenied(DomainError):
    code = "forbidden"


class ErrorCollector:
    """Run several field checks and report every failure at once, as a form does.

    with errors.check():
        data["org_number"] = clean_organisation_number(...)
    errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def check(self) -> _Check:
        return _Check(self)

    def add(self, field: str | None, message: str) -> None:
        self.errors.setdefault(field or "__all__", []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


class _Check:
    def __init__(self, collector: ErrorCollector):
        self.collector = collector

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if isinstance(exc, ValidationFailed):
            for field, messages in exc.errors.items():
                for message in messages:
                    self.collector.add(field, message)
            return True
        if isinstance(exc, DomainError):
            self.collector.add(exc.field, exc.message)
            return True
        return False
