"""Validation and normal forms of the identifiers on companies and customers.

Each `clean_*` function takes what a person typed and returns the stored normal
form, or raises `DomainError` with a message that says what is wrong and for
which field. Checks come from python-stdnum (check digits, lengths) and schwifty
(IBAN). Pure functions: no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import ean, luhn
from stdnum.dk import cvr as dk_cvr
from stdnum.dk import vat as dk_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.no import mva as no_mva
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr
from stdnum.se import personnummer as se_personnummer
from stdnum.se import vat as se_vat

from fakturera.core.errors import DomainError

COUNTRY_CHOICES = [("SE", "Sverige"), ("DK", "Danmark"), ("NO", "Norge"), ("FI", "Suomi")]


@dataclass(frozen=True)
class _Rule:
    label: str
    validate: Callable[[str], str]
    display: Callable[[str], str]


def _validated(module) -> Callable[[str], str]:
    def validate(value: str) -> str:
        return module.validate(value)

    return validate


ORGANISATION_NUMBER_RULES: dict[str, _Rule] = {
    "SE": _Rule(gettext_noop("Swedish organisation number"), _validated(se_orgnr), se_orgnr.format),
    "DK": _Rule(gettext_noop("Danish CVR number"), _validated(dk_cvr), dk_cvr.compact),
    "NO": _Rule(gettext_noop("Norwegian organisation number"), _validated(no_orgnr), no_orgnr.format),
    "FI": _Rule(gettext_noop("Finnish business ID"), _validated(fi_ytunnus), fi_ytunnus.format),
}


def _with_prefix(prefix: str, module) -> Callable[[str], str]:
    def validate(value: str) -> str:
        compact = module.validate(value)
        return compact if compact.startswith(prefix) else prefix + compact

    return validate


VAT_NUMBER_RULES: dict[str, _Rule] = {
    "SE": _Rule(gettext_noop("Swedish VAT number"), _with_prefix("SE", se_vat), lambda v: v),
    "DK": _Rule(gettext_noop("Danish VAT number"), _with_prefix("DK", dk_vat), lambda v: v),
    "NO": _Rule(gettext_noop("Norwegian VAT number"), _validated(no_mva), lambda v: v),
    "FI": _Rule(gettext_noop("Finnish VAT number"), _validated(eu_vat), lambda v: v),
}


def _fail(field: str, message: str) -> DomainError:
    return DomainError(message, field=field, code="invalid_identifier")


def _std_message(exc: StdnumError) -> str:
    name = type(exc).__name__
    return {
        "InvalidChecksum": _("the check digit does not match"),
        "InvalidLength": _("it has the wrong number of digits"),
        "InvalidFormat": _("it contains characters that do not belong there"),
        "InvalidComponent": _("part of it is not valid"),
    }.get(name, _("it is not valid"))


def clean_organisation_number(value: str, *, country: str, field: str = "org_number") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    rule = ORGANISATION_NUMBER_RULES.get(country)
    if rule is None:
        raise _fail(field, _("Organisation numbers of country %(c)s are not supported.") % {"c": country})
    try:
        return rule.display(rule.validate(value))
    except StdnumError as exc:
        raise _fail(
            field,
            _("“%(value)s” is not a valid %(label)s: %(reason)s.")
            % {"value": value, "label": _(rule.label), "reason": _std_message(exc)},
        ) from None


def clean_vat_number(value: str, *, country: str, field: str = "vat_number") -> str:
    """A VAT number of the given country, or any EU VAT number with its country prefix."""
    value = (value or "").strip().upper().replace(" ", "")
    if not value:
        return ""
    rule = VAT_NUMBER_RULES.get(country)
    prefix = value[:2]
    try:
        if prefix.isalpha() and prefix not in (country, "NO"):
            # A foreign EU customer (reverse charge): checked by its own country's rules.
            return eu_vat.validate(value)
        if rule is None:
            return eu_vat.validate(value)
        return rule.validate(value)
    except StdnumError as exc:
        label = _(rule.label) if rule else _("VAT number")
        raise _fail(
            field,
            _("“%(value)s” is not a valid %(label)s: %(reason)s.")
            % {"value": value, "label": label, "reason": _std_message(exc)},
        ) from None


def clean_personnummer(value: str, *, field: str = "personnummer") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        compact = se_personnummer.validate(value)
        digits = "".join(ch for ch in compact if ch.isdigit())
        if len(digits) == 10:
            # Stored with the century (ÅÅÅÅMMDD-NNNN), which the 10-digit form leaves implicit.
            digits = f"{se_personnummer.get_birth_date(compact).year // 100}{digits}"
        return f"{digits[:8]}-{digits[8:]}"
    except StdnumError as exc:
        raise _fail(
            field,
            _("“%(value)s” is not a valid personnummer: %(reason)s.") % {"value": value, "reason": _std_message(exc)},
        ) from None


def clean_bankgiro(value: str, *, field: str = "bankgiro") -> str:
    """Bankgiro numbers have 7 or 8 digits with a Luhn check digit; shown as NNN-NNNN."""
    value = (value or "").strip()
    if not value:
        return ""
    digits = value.replace("-", "").replace(" ", "")
    if not digits.isdigit() or len(digits) not in (7, 8):
        raise _fail(field, _("A bankgiro number has 7 or 8 digits, such as 991-2346."))
    if not luhn.is_valid(digits):
        raise _fail(
            field, _("“%(value)s” is not a valid bankgiro number: the check digit does not match.") % {"value": value}
        )
    return f"{digits[:-4]}-{digits[-4:]}"


def _iban_reason(exc: SchwiftyException) -> str:
    # schwifty's exception classes say what is wrong; its messages are English only.
    name = type(exc).__name__
    if "Checksum" in name:
        return _("the check digits do not match")
    if "Length" in name:
        return _("it has the wrong number of characters")
    if "Country" in name:
        return _("the country code is unknown")
    if "BankCode" in name or "AccountCode" in name:
        return _("the bank or account part is not valid")
    return _("it is not valid")


def clean_iban(value: str, *, field: str = "iban") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return IBAN(value).compact
    except SchwiftyException as exc:
        raise _fail(
            field, _("“%(value)s” is not a valid IBAN: %(reason)s.") % {"value": value, "reason": exc}
        ) from None


def clean_bic(value: str, *, field: str = "bic") -> str:
    value = (value or "").strip().upper()
    if not value:
        return ""
    try:
        return str(BIC(value))
    except SchwiftyException as exc:
        raise _fail(
            field, _("“%(value)s” is not a valid BIC: %(reason)s.") % {"value": value, "reason": _iban_reason(exc)}
        ) from None


def clean_gln(value: str, *, field: str = "gln") -> str:
    value = (value or "").strip().replace(" ", "")
    if not value:
        return ""
    try:
        compact = ean.validate(value)
    except StdnumError as exc:
        raise _fail(
            field, _("“%(value)s” is not a valid GLN: %(reason)s.") % {"value": value, "reason": _std_message(exc)}
        ) from None
    if len(compact) != 13:
        raise _fail(field, _("A GLN has 13 digits."))
    return compact


def _peppol_vat(prefix: str) -> Callable[[str], str]:
    def validate(value: str) -> str:
        compact = eu_vat.validate(value if value.upper().startswith(prefix) else prefix + value)
        return compact

    return validate


# Peppol participant identifier schemes (ISO 6523 ICD / EAS code list, Peppol
# Code Lists "Participant identifier schemes"): the scheme decides how the
# identifier after the colon is checked.
PEPPOL_SCHEMES: dict[str, tuple[str, Callable[[str], str]]] = {
    "0007": (gettext_noop("Swedish organisation number"), lambda v: se_orgnr.validate(v)),
    "0088": (gettext_noop("GLN"), lambda v: clean_gln(v)),
    "0184": (gettext_noop("Danish CVR number"), lambda v: dk_cvr.validate(v)),
    "0192": (gettext_noop("Norwegian organisation number"), lambda v: no_orgnr.validate(v)),
    "0212": (gettext_noop("Finnish business ID"), lambda v: fi_ytunnus.validate(v)),
    "0216": (gettext_noop("Finnish OVT code"), lambda v: v if v.isdigit() and 12 <= len(v) <= 17 else _raise_format()),
    "9955": (gettext_noop("Swedish VAT number"), _peppol_vat("SE")),
    "0198": (gettext_noop("Danish VAT number"), _peppol_vat("DK")),
    "9930": (gettext_noop("German VAT number"), _peppol_vat("DE")),
    "9957": (gettext_noop("French VAT number"), _peppol_vat("FR")),
    "9925": (gettext_noop("Belgian VAT number"), _peppol_vat("BE")),
    "9944": (gettext_noop("Dutch VAT number"), _peppol_vat("NL")),
}


def _raise_format() -> str:
    from stdnum.exceptions import InvalidFormat

    raise InvalidFormat()


@dataclass(frozen=True)
class PeppolId:
    scheme: str
    identifier: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"


def parse_peppol_id(value: str, *, field: str = "peppol_id") -> PeppolId | None:
    """`0007:5567321707` -> PeppolId; the identifier is checked by its scheme's rules."""
    value = (value or "").strip()
    if not value:
        return None
    if value.lower().startswith("iso6523-actorid-upis::"):
        value = value.split("::", 1)[1]
    scheme, sep, identifier = value.partition(":")
    if not sep or not scheme.isdigit() or len(scheme) != 4 or not identifier:
        raise _fail(field, _("A Peppol ID is a scheme and an identifier, such as 0007:5567321707."))
    if scheme not in PEPPOL_SCHEMES:
        raise _fail(
            field,
            _("Peppol scheme %(scheme)s is not one we know; known schemes: %(known)s.")
            % {"scheme": scheme, "known": ", ".join(sorted(PEPPOL_SCHEMES))},
        )
    label, validate = PEPPOL_SCHEMES[scheme]
    try:
        compact = validate(identifier.strip())
    except (StdnumError, DomainError):
        raise _fail(
            field,
            _("“%(identifier)s” is not a valid %(label)s, which scheme %(scheme)s requires.")
            % {"identifier": identifier, "label": _(label), "scheme": scheme},
        ) from None
    return PeppolId(scheme, compact)


def clean_peppol_id(value: str, *, field: str = "peppol_id") -> str:
    parsed = parse_peppol_id(value, field=field)
    return str(parsed) if parsed else ""


# A Swedish VAT number: SE, the 10-digit org number, 01.
_SWEDISH_VAT = re.compile(r"SE(\d{10})01")


def peppol_endpoint(peppol_id: str) -> str:
    """The participant id to address on the network. 9955 (Swedish VAT number) left the
    EAS code list in BIS Billing 3.0.21 (PEPPOL-EN16931-CL008); the org number it holds
    is the same participant under 0007. Other ids are used as they are."""
    scheme, _colon, identifier = peppol_id.partition(":")
    if scheme == "9955" and (match := _SWEDISH_VAT.fullmatch(identifier.upper().replace(" ", ""))):
        return f"0007:{match.group(1)}"
    return peppol_id
