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
from stdnum import ean, get_cc_module, luhn
from stdnum.dk import cvr as dk_cvr
from stdnum.dk import vat as dk_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import alv as fi_alv
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


VAT_NUMBER_RULES: dict[str, _Rule] = {
    "SE": _Rule(gettext_noop("Swedish VAT number"), _with_prefix("SE", se_vat), lambda v: v),
    "DK": _Rule(gettext_noop("Danish VAT number"), _with_prefix("DK", dk_vat), lambda v: v),
    "NO": _Rule(gettext_noop("Norwegian VAT number"), _with_prefix("NO", no_mva), lambda v: v),
    "FI": _Rule(gettext_noop("Finnish VAT number"), _with_prefix("FI", fi_alv), lambda v: v),
}

# The EU member states by the prefix of their VAT numbers (Greece: EL, Northern Ireland: XI).
EU_VAT_PREFIXES = frozenset(state.upper() for state in eu_vat.MEMBER_STATES if state != "gr") | {"EL"}


def vat_prefix(country: str) -> str:
    """The prefix of a country's VAT numbers (EN 16931 BR-CO-09: its ISO code; Greece uses EL)."""
    return "EL" if country == "GR" else country


def _vat_of_country(value: str, country: str) -> str:
    """`value` (with or without the prefix) checked as a VAT number of `country`, returned with
    its prefix. Raises StdnumError when it is not valid, LookupError when the country's VAT
    numbers cannot be checked."""
    prefix = vat_prefix(country)
    rule = VAT_NUMBER_RULES.get(country)
    if rule is not None:
        return rule.validate(value)
    if prefix in EU_VAT_PREFIXES:
        return eu_vat.validate(value if value.startswith(prefix) else prefix + value)
    module = get_cc_module(country.lower(), "vat") if len(country) == 2 and country.isalpha() else None
    if module is None:
        raise LookupError(country)
    compact = module.validate(value)
    return compact if compact.startswith(prefix) else prefix + compact


def clean_vat_number(value: str, *, country: str, field: str = "vat_number") -> str:
    """A VAT number stored as EN 16931 wants it (BT-31, BT-48; BR-CO-09): with the ISO prefix
    of the country that issued it. A number typed without its prefix is taken as one of
    `country` (the party's country); one with another country's prefix (a foreign branch,
    reverse charge) is checked by that country's rules. Refused when neither checks out."""
    value = re.sub(r"[\s.\-]", "", value or "").upper()
    if not value:
        return ""
    country = (country or "SE").upper()
    letters = value[:2] if value[:2].isalpha() else ""
    issuer = country
    if letters and letters != vat_prefix(country):
        # Another country's number: checked by its own country's rules.
        issuer = "GR" if letters == "EL" else letters
    rule = VAT_NUMBER_RULES.get(issuer)
    label = _(rule.label) if rule else _("VAT number of %(country)s") % {"country": issuer}
    try:
        return _vat_of_country(value, issuer)
    except LookupError:
        if letters and issuer != country:
            raise _fail(
                field,
                _("“%(value)s” does not begin with a country code we can check (such as SE, NO or DE).")
                % {"value": value},
            ) from None
        raise _fail(
            field,
            _("VAT numbers of %(country)s cannot be checked here; leave the field empty.") % {"country": country},
        ) from None
    except StdnumError as exc:
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


def _peppol_vat(country: str) -> Callable[[str], str]:
    def validate(value: str) -> str:
        return _vat_of_country(value.upper(), country)

    return validate


def _digits_of(module) -> Callable[[str], str]:
    def validate(value: str) -> str:
        return "".join(ch for ch in module.validate(value) if ch.isdigit())

    return validate


# A Finnish OVT code: 0037, the business id's eight digits, up to five characters of its own.
_OVT = re.compile(r"0037(\d{8})([0-9A-Z]{0,5})")


def _finnish_ovt(value: str) -> str:
    match = _OVT.fullmatch(value.upper().replace("-", ""))
    if match is None:
        raise _format_error()
    fi_ytunnus.validate(match.group(1))
    return value.upper().replace("-", "")


# The VAT numbers' Peppol participant schemes, by country (EAS code list of BIS Billing
# 3.0.21, PEPPOL-EN16931-CL008; 9955, the old Swedish one, left it).
VAT_SCHEMES = {
    "AT": "9914", "BE": "9925", "BG": "9926", "CH": "9927", "CY": "9928", "CZ": "9929", "DE": "9930",
    "DK": "0198", "EE": "9931", "GB": "9932", "GR": "9933", "ES": "9920", "FR": "9957", "HR": "9934",
    "HU": "9910", "IE": "9935", "LT": "9937", "LU": "9938", "LV": "9939", "MT": "9943", "NL": "9944",
    "PL": "9945", "PT": "9946", "RO": "9947", "SI": "9949", "SK": "9950",
}  # fmt: skip
# Organisation numbers as Peppol participant ids, by country (0216: Finland's OVT code).
ORGANISATION_SCHEMES = {"SE": "0007", "DK": "0184", "NO": "0192", "FI": "0216"}

# Peppol participant identifier schemes we check (each on the EAS code list that
# PEPPOL-EN16931-CL008 holds the endpoint to): the scheme decides how the identifier
# after the colon is checked and written.
PEPPOL_SCHEMES: dict[str, tuple[str, Callable[[str], str]]] = {
    "0007": (gettext_noop("Swedish organisation number"), _digits_of(se_orgnr)),
    "0088": (gettext_noop("GLN"), lambda v: clean_gln(v)),
    "0184": (gettext_noop("Danish CVR number"), lambda v: dk_cvr.validate(v)),
    "0192": (gettext_noop("Norwegian organisation number"), lambda v: no_orgnr.validate(v)),
    "0216": (gettext_noop("Finnish OVT code"), _finnish_ovt),
    **{scheme: (gettext_noop("VAT number"), _peppol_vat(country)) for country, scheme in VAT_SCHEMES.items()},
}

# Schemes people still type that are not (or no longer) Peppol endpoint schemes, and the
# endpoint scheme of the same participant: 9955 held a Swedish VAT number (SE + org number
# + 01), 0212 is the Finnish business id as a legal identifier and 0037 the OVT code's ICD.
_SWEDISH_VAT = re.compile(r"SE(\d{10})01")


def _legacy(scheme: str, identifier: str) -> tuple[str, str] | None:
    identifier = identifier.upper().replace(" ", "")
    if scheme == "9955" and (match := _SWEDISH_VAT.fullmatch(identifier)):
        return "0007", match.group(1)
    if scheme == "0212":
        return "0216", "0037" + "".join(ch for ch in identifier if ch.isdigit())
    if scheme == "0037":
        return "0216", identifier
    return None


def _format_error() -> Exception:
    from stdnum.exceptions import InvalidFormat

    return InvalidFormat()


@dataclass(frozen=True)
class PeppolId:
    scheme: str
    identifier: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"


def parse_peppol_id(value: str, *, field: str = "peppol_id") -> PeppolId | None:
    """`0007:5567321707` -> PeppolId, in the scheme Peppol's code list holds and the form the
    scheme's rules check (PEPPOL-EN16931-CL008 and the per-scheme rules); refused otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    if value.lower().startswith("iso6523-actorid-upis::"):
        value = value.split("::", 1)[1]
    scheme, sep, identifier = value.partition(":")
    scheme, identifier = scheme.strip().upper(), identifier.strip()
    if scheme == "EM":
        raise _fail(
            field,
            _(
                "Peppol has no e-mail addresses (scheme EM is not on its code list); "
                "enter the customer's e-mail address in the e-mail field instead."
            ),
        )
    if not sep or not scheme.isdigit() or len(scheme) != 4 or not identifier:
        raise _fail(field, _("A Peppol ID is a scheme and an identifier, such as 0007:5567321707."))
    moved = _legacy(scheme, identifier)
    if moved is not None:
        scheme, identifier = moved
    if scheme not in PEPPOL_SCHEMES:
        raise _fail(
            field,
            _("Peppol scheme %(scheme)s is not one we know; known schemes: %(known)s.")
            % {"scheme": scheme, "known": ", ".join(sorted(PEPPOL_SCHEMES))},
        )
    label, validate = PEPPOL_SCHEMES[scheme]
    try:
        compact = validate(identifier)
    except (StdnumError, DomainError, LookupError):
        raise _fail(
            field,
            _("“%(identifier)s” is not a valid %(label)s, which scheme %(scheme)s requires.")
            % {"identifier": identifier, "label": _(label), "scheme": scheme},
        ) from None
    return PeppolId(scheme, compact)


def clean_peppol_id(value: str, *, field: str = "peppol_id") -> str:
    parsed = parse_peppol_id(value, field=field)
    return str(parsed) if parsed else ""


def peppol_endpoint(peppol_id: str) -> str:
    """The participant id to address on the network, for ids stored before their scheme left
    the EAS code list (9955, 0212, 0037: see _legacy); other ids are used as they are."""
    scheme, _colon, identifier = peppol_id.partition(":")
    moved = _legacy(scheme, identifier)
    return f"{moved[0]}:{moved[1]}" if moved else peppol_id


def electronic_address(
    *, peppol_id: str = "", gln: str = "", org_number: str = "", vat_number: str = "", country: str = ""
) -> tuple[str, str] | None:
    """A party's electronic address (BT-34, BT-49) as (EAS scheme, identifier): its Peppol ID;
    else its GLN; else the participant id its organisation number or VAT number makes in the
    scheme of its country. None when it has none of these (a private person; an organisation
    with no identifier on Peppol's code list): no address is made up for it."""
    if peppol_id:
        scheme, _colon, identifier = peppol_endpoint(peppol_id).partition(":")
        return scheme, identifier
    if gln:
        return "0088", gln
    digits = "".join(ch for ch in org_number if ch.isdigit())
    if digits and country in ORGANISATION_SCHEMES:
        return ORGANISATION_SCHEMES[country], ("0037" + digits if country == "FI" else digits)
    vat = vat_number.upper()
    if vat[:2] in ("SE", "NO", "FI") and vat[2:]:
        # The organisation number inside the VAT number, in its country's scheme.
        inner = "".join(ch for ch in vat[2:] if ch.isdigit())
        inner = inner[:10] if vat[:2] == "SE" else inner
        return ORGANISATION_SCHEMES[vat[:2]], ("0037" + inner if vat[:2] == "FI" else inner)
    scheme = VAT_SCHEMES.get("GR" if vat[:2] == "EL" else vat[:2])
    if scheme is not None:
        return scheme, vat
    return None
