"""A writer of Swedish camt.054 credit notifications, for the tests and `make bench`: the
banks' files are built to the implementation guides' shape (DESIGN.md, "Formats"), one
entry per payment, with the account as a bankgiro number (`BGNR`); and of Bankgirot's
Autogiro payment specification (the demo's and the tests' collections)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from xml.sax.saxutils import escape

from fakturera.autogiro.files import Collection, amount_in_ore, collection_record


@dataclass(frozen=True)
class Credit:
    amount: Decimal
    reference: str = ""  # a structured reference (OCR or RF)
    message: str = ""  # unstructured text
    payer: str = ""
    bank_reference: str = ""  # AcctSvcrRef: the bank's own id, the dedup key
    booked_on: dt.date = dt.date(2026, 11, 30)
    currency: str = "SEK"


def _entry(credit: Credit, n: int) -> str:
    remittance = ""
    if credit.reference:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{escape(credit.reference)}</Ref></CdtrRefInf></Strd>"
        )
    if credit.message:
        remittance = f"<Ustrd>{escape(credit.message)}</Ustrd>" + remittance
    payer = f"<RltdPties><Dbtr><Nm>{escape(credit.payer)}</Nm></Dbtr></RltdPties>" if credit.payer else ""
    return (
        f'<Ntry><Amt Ccy="{credit.currency}">{credit.amount:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{credit.booked_on.isoformat()}</Dt></BookgDt><ValDt><Dt>{credit.booked_on.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{escape(credit.bank_reference or f'REF-{n}')}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls>{payer}<RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>\n"
    )


def camt054_chunks(credits: Iterable[Credit], *, bankgiro_digits: str, message_id: str = "BENCH-1") -> Iterator[str]:
    """The notification as text pieces (a large file is written without holding it whole)."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>{escape(message_id)}</MsgId><CreDtTm>2026-11-30T18:00:00+01:00</CreDtTm></GrpHdr>"
        "<Ntfctn><Id>N-1</Id><CreDtTm>2026-11-30T18:00:00+01:00</CreDtTm>"
        f"<Acct><Id><Othr><Id>{bankgiro_digits.zfill(10)}</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id>"
        "<Ccy>SEK</Ccy></Acct>\n"
    )
    for n, credit in enumerate(credits, start=1):
        yield _entry(credit, n)
    yield "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"


def camt054(credits: Iterable[Credit], *, bankgiro_digits: str = "9912346", message_id: str = "TEST-1") -> bytes:
    return "".join(camt054_chunks(credits, bankgiro_digits=bankgiro_digits, message_id=message_id)).encode()


def autogiro_payment_specification(
    collections: Iterable[tuple[Collection, str]],
    *,
    written_at: dt.datetime,
    paid_on: dt.date,
    customer_number: str = "471117",
    bankgiro: str = "9912346",
    serial: str = "00001",
) -> bytes:
    """Bankgirot's Autogiro payment specification, new layout (`BET. SPEC & STOPP TK`), of one
    deposit: each collection is the order as `autogiro.files` writes it plus its status in
    position 80 ("0" approved; "1" insufficient funds, "2" no Autogiro connection, "9" renewed
    funds check: stopped). Positions as `payments/files/autogiro.py` reads them."""
    items = [(replace(c, payment_on=c.payment_on or paid_on), status) for c, status in collections]
    approved = [c for c, status in items if status == "0"]
    ore = sum(amount_in_ore(c.amount) for c in approved)
    records = [
        f"01AUTOGIRO{'':14}{written_at:%Y%m%d%H%M%S}{'':6}{'BET. SPEC & STOPP TK':<20}"
        f"{customer_number.zfill(6)}{bankgiro.zfill(10)}",
        f"15{'':0>35}{paid_on:%Y%m%d}{serial:>5}{ore:018d}{'':3}{len(approved):08d} ",
        *(collection_record(c, bankgiro=bankgiro)[:69] + " " * 10 + status for c, status in items),
        f"09{paid_on:%Y%m%d}9900{1:06d}{len(approved):012d}{0:06d}{0:012d}{0:06d}{0:012d}{'':12}",
    ]
    return "".join(record.ljust(80) + "\r\n" for record in records).encode("iso-8859-1")
