"""camt.054 (BankToCustomerDebitCreditNotification) and camt.053 (BankToCustomerStatement).

Structure and Swedish usage: ../shared/formats/README.md section 3 ("camt.054 / camt.053"),
from the ISO 20022 message definitions and the Swedish banks' implementation guides (CGI,
Handelsbanken, Nordea: camt.054.001.02); the samples in ../shared/formats/camt are .001.02,
.001.04 and .001.08. Every version from .001.02 to .001.13 is read: the elements used here are
looked up under the file's own namespace, and where the versions differ both forms are read
(`Sts` as text or `Sts/Cd`; `Dbtr/Nm` or `Dbtr/Pty/Nm`; `TxDtls/Amt` or `AmtDtls/TxAmt/Amt`;
`BookgDt/Dt` or `/DtTm`).

Streaming: lxml's iterparse stops at each `Ntry` end, the entry is read and then removed from
the tree, so memory holds one entry whatever the size of the file. External entities and the
network are off (no XXE).

One `BankTransaction` per `TxDtls`; an entry without details is one transaction on its own.

Checked (a failure refuses the file, naming the element path and its line): well-formed XML; the
namespace a camt.053/.054 one of a read version; GrpHdr/MsgId and CreDtTm; each Ntfctn/Stmt's
Id and Acct; each entry's Amt (a decimal, with its Ccy), CdtDbtInd (CRDT/DBIT) and Sts; dates;
TxsSummry where present: TtlNtries/NbOfNtries and Sum, TtlNetNtry, TtlCdtNtries and
TtlDbtNtries (count and sum) against the entries. A batch's NbOfTxs and TtlAmt that the details
do not reach are a warning, not a refusal: the ISO sample files themselves disagree with them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

from lxml import etree
from stdnum import iban as std_iban

from fakturera.core.ocr import ReferenceKind, classify_reference
from fakturera.payments.files.source import Source, open_source
from fakturera.payments.files.types import (
    Account,
    AccountScheme,
    BankTransaction,
    Direction,
    ExtraReference,
    FileFormat,
    FileRefused,
    FileSummary,
    Method,
    Section,
    format_bankgiro,
    format_plusgiro,
)

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d\d)")
VERSIONS = range(2, 14)
_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,5})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_NOT_PROVIDED = "NOTPROVIDED"

MESSAGES = {
    "camt.053": ("BkToCstmrStmt", "Stmt", "statement", FileFormat.CAMT_053),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "notification", FileFormat.CAMT_054),
}


class _Paths:
    """The element paths under one namespace, built once per file (no string work per entry)."""

    def __init__(self, ns: str) -> None:
        def p(path: str) -> str:
            return "/".join(f"{{{ns}}}{part}" if part not in (".", "..") else part for part in path.split("/"))

        self.p = p
        for name, path in {
            "msg_id": "GrpHdr/MsgId",
            "cre_dt_tm": "GrpHdr/CreDtTm",
            "id": "Id",
            "section_cre": "CreDtTm",
            "acct": "Acct",
            "acct_ccy": "Acct/Ccy",
            "txs_summry": "TxsSummry",
            "amt": "Amt",
            "cdt_dbt": "CdtDbtInd",
            "rvsl": "RvslInd",
            "sts": "Sts",
            "sts_cd": "Sts/Cd",
            "bookg_dt": "BookgDt/Dt",
            "bookg_dt_tm": "BookgDt/DtTm",
            "val_dt": "ValDt/Dt",
            "val_dt_tm": "ValDt/DtTm",
            "ntry_ref": "NtryRef",
            "acct_svcr_ref": "AcctSvcrRef",
            "addtl_ntry_inf": "AddtlNtryInf",
            "tx_dtls": "NtryDtls/TxDtls",
            "btch": "NtryDtls/Btch",
            "btch_nb": "NbOfTxs",
            "btch_ttl": "TtlAmt",
            "domn_cd": "BkTxCd/Domn/Cd",
            "fmly_cd": "BkTxCd/Domn/Fmly/Cd",
            "sub_fmly_cd": "BkTxCd/Domn/Fmly/SubFmlyCd",
            "prtry_cd": "BkTxCd/Prtry/Cd",
            "chrgs_total": "Chrgs/TtlChrgsAndTaxAmt",
            "chrgs_rcrd": "Chrgs/Rcrd/Amt",
            "end_to_end": "Refs/EndToEndId",
            "tx_id": "Refs/TxId",
            "tx_acct_svcr_ref": "Refs/AcctSvcrRef",
            "uetr": "Refs/UETR",
            "instr_id": "Refs/InstrId",
            "tx_amt_v3": "Amt",
            "tx_amt": "AmtDtls/TxAmt/Amt",
            "instd_amt": "AmtDtls/InstdAmt/Amt",
            "dbtr_nm": "RltdPties/Dbtr/Nm",
            "dbtr_pty_nm": "RltdPties/Dbtr/Pty/Nm",
            "dbtr_adr": "RltdPties/Dbtr/PstlAdr",
            "dbtr_pty_adr": "RltdPties/Dbtr/Pty/PstlAdr",
            "dbtr_org": "RltdPties/Dbtr/Id/OrgId/Othr/Id",
            "dbtr_pty_org": "RltdPties/Dbtr/Pty/Id/OrgId/Othr/Id",
            "ultmt_dbtr_nm": "RltdPties/UltmtDbtr/Nm",
            "ultmt_dbtr_pty_nm": "RltdPties/UltmtDbtr/Pty/Nm",
            "dbtr_acct": "RltdPties/DbtrAcct",
            "cdtr_acct": "RltdPties/CdtrAcct",
            "ustrd": "RmtInf/Ustrd",
            "strd": "RmtInf/Strd",
            "cdtr_ref": "CdtrRefInf/Ref",
            "cdtr_ref_cd": "CdtrRefInf/Tp/CdOrPrtry/Cd",
            "cdtr_ref_prtry": "CdtrRefInf/Tp/CdOrPrtry/Prtry",
            "rfrd_doc_nb": "RfrdDocInf/Nb",
            "rfrd_doc_cd": "RfrdDocInf/Tp/CdOrPrtry/Cd",
            "rmtd_amt": "RfrdDocAmt/RmtdAmt",
            "addtl_rmt_inf": "AddtlRmtInf",
            "addtl_tx_inf": "AddtlTxInf",
            "clr_mmb": "RltdAgts/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId",
            "iban": "Id/IBAN",
            "othr_id": "Id/Othr/Id",
            "schme_cd": "Id/Othr/SchmeNm/Cd",
            "schme_prtry": "Id/Othr/SchmeNm/Prtry",
            "adr_line": "AdrLine",
            "ttl_nb": "TtlNtries/NbOfNtries",
            "ttl_sum": "TtlNtries/Sum",
            "ttl_net_amt": "TtlNtries/TtlNetNtry/Amt",
            "ttl_net_ind": "TtlNtries/TtlNetNtry/CdtDbtInd",
            "ttl_net_amt_v2": "TtlNtries/TtlNetNtryAmt",
            "cdt_nb": "TtlCdtNtries/NbOfNtries",
            "cdt_sum": "TtlCdtNtries/Sum",
            "dbt_nb": "TtlDbtNtries/NbOfNtries",
            "dbt_sum": "TtlDbtNtries/Sum",
        }.items():
            setattr(self, name, p(path))


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.findtext(path)
    return found.strip() if found else ""


class _Entry:
    """What a transaction takes over from its entry."""

    __slots__ = (
        "acct_svcr_ref",
        "amount",
        "booking_date",
        "charges",
        "currency",
        "direction",
        "entry_ref",
        "index",
        "info",
        "method_codes",
        "path",
        "reversal",
        "status",
        "value_date",
    )


class _Statement:
    """A Ntfctn / Stmt being read: its header and what its entries add up to."""

    def __init__(self, index: int, path: str) -> None:
        self.index = index
        self.path = path
        self.read = False
        self.identifier = ""
        self.account: Account | None = None
        self.currency = ""
        self.created: dt.datetime | None = None
        self.summary: etree._Element | None = None
        self.summary_line: int | None = None
        self.line: int | None = None
        self.entries = 0
        self.credit_entries = 0
        self.debit_entries = 0
        self.credit_sum = Decimal(0)
        self.debit_sum = Decimal(0)
        self.transactions = 0
        self.tx_credit = Decimal(0)
        self.tx_debit = Decimal(0)


class CamtReader:
    """Iterate for the transactions; `summary` is set when the iteration has ended without a refusal."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.summary: FileSummary | None = None
        self.warnings: list[str] = []

    def __iter__(self) -> Iterator[BankTransaction]:
        with open_source(self.source) as fileobj:
            try:
                yield from self._read(fileobj)
            except etree.XMLSyntaxError as exc:
                line = exc.lineno if exc.lineno else None
                raise FileRefused("malformed", f"The XML is not well-formed: {exc.msg}", line=line) from None

    def _read(self, fileobj) -> Iterator[BankTransaction]:
        events = etree.iterparse(
            fileobj,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            _event, root = next(events)
        except StopIteration:
            raise FileRefused("empty", "The file is empty") from None
        qname = etree.QName(root)
        match = NAMESPACE.fullmatch(qname.namespace or "")
        if qname.localname != "Document" or not match:
            raise FileRefused(
                "unknown_format",
                f"Not a camt.053 or camt.054 message: the root element is {qname.localname!r} "
                f"in namespace {qname.namespace or '(none)'!r}",
                line=root.sourceline,
                path=f"/{qname.localname}",
            )
        message, version = match.group(1), int(match.group(2))
        if version not in VERSIONS:
            raise FileRefused(
                "unsupported",
                f"{message}.001.{version:02d} is not read (versions .001.02 to .001.13 are)",
                line=root.sourceline,
                path="/Document",
            )
        ns = qname.namespace
        paths = _Paths(ns)
        message_tag, section_local, section_kind, file_format = MESSAGES[message]
        self.format = file_format
        message_qname = f"{{{ns}}}{message_tag}"
        section_qname = f"{{{ns}}}{section_local}"
        entry_qname = f"{{{ns}}}Ntry"
        header_qname = f"{{{ns}}}GrpHdr"
        base = f"/Document/{message_tag}"

        msg_id = ""
        created: dt.datetime | None = None
        header_seen = False
        message_seen = False
        statements: list[_Statement] = []
        current: _Statement | None = None
        entry_index = 0
        credit_totals: dict[str, Decimal] = {}
        debit_totals: dict[str, Decimal] = {}
        count = 0

        for event, element in events:
            tag = element.tag
            if event == "start":
                if (
                    tag == section_qname
                    and element.getparent() is not None
                    and element.getparent().tag == message_qname
                ):
                    current = _Statement(len(statements) + 1, f"{base}/{section_local}[{len(statements) + 1}]")
                    current.line = element.sourceline
                    statements.append(current)
                elif tag == message_qname:
                    message_seen = True
                continue
            if tag == entry_qname and current is not None:
                if not current.read:
                    self._statement_header(current, element.getparent(), paths, section_local)
                entry_index += 1
                for transaction in self._entry(element, paths, current, entry_index, msg_id):
                    count += 1
                    if transaction.amount is not None:
                        totals = credit_totals if transaction.direction is Direction.CREDIT else debit_totals
                        totals[transaction.currency] = totals.get(transaction.currency, Decimal(0)) + transaction.amount
                    yield transaction
                # Flat memory: the entry and everything before it in its parent go.
                element.clear(keep_tail=False)
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
                parent.remove(element)
            elif tag == header_qname:
                header_seen = True
                msg_id = _text(element, paths.p("MsgId"))
                if not msg_id:
                    raise FileRefused(
                        "missing", "The group header has no MsgId", line=element.sourceline, path=f"{base}/GrpHdr/MsgId"
                    )
                created = self._datetime(
                    _text(element, paths.p("CreDtTm")), element, f"{base}/GrpHdr/CreDtTm", required=True
                )
            elif tag == section_qname and current is not None:
                if not current.read:
                    self._statement_header(current, element, paths, section_local)
                self._check_statement(current, paths)
                element.clear(keep_tail=False)
                current = None

        if not message_seen:
            raise FileRefused("missing", f"The document holds no {message_tag}", path="/Document")
        if not header_seen:
            raise FileRefused("missing", "The message has no group header (GrpHdr)", path=f"{base}/GrpHdr")
        if not statements:
            raise FileRefused("missing", f"The message holds no {section_local}", path=f"{base}/{section_local}")
        accounts: list[Account] = []
        for statement in statements:
            if statement.account and statement.account not in accounts:
                accounts.append(statement.account)
        self.summary = FileSummary(
            format=file_format,
            version=f"001.{version:02d}",
            message_id=msg_id,
            created_at=created,
            test=False,
            accounts=tuple(accounts),
            sections=tuple(
                Section(
                    kind=section_kind,
                    identifier=s.identifier,
                    account=s.account,
                    currency=s.currency,
                    date=s.created.date() if s.created else None,
                    transaction_count=s.transactions,
                    credit_total=s.tx_credit,
                    debit_total=s.tx_debit,
                    stated_count=s.entries,
                    stated_total=None,
                    line=s.line,
                    details={
                        "entries": str(s.entries),
                        "credit_entries": str(s.credit_entries),
                        "debit_entries": str(s.debit_entries),
                    },
                )
                for s in statements
            ),
            transaction_count=count,
            credit_totals=credit_totals,
            debit_totals=debit_totals,
            warnings=tuple(self.warnings),
            details={"message": message},
        )

    # --- statement (Ntfctn / Stmt) ---------------------------------------------------------

    def _statement_header(self, statement: _Statement, element, paths: _Paths, section_local: str) -> None:
        statement.read = True
        statement.identifier = _text(element, paths.id)
        if not statement.identifier:
            raise FileRefused(
                "missing", f"The {section_local} has no Id", line=element.sourceline, path=f"{statement.path}/Id"
            )
        statement.created = self._datetime(_text(element, paths.section_cre), element, f"{statement.path}/CreDtTm")
        acct = element.find(paths.acct)
        if acct is None:
            raise FileRefused(
                "missing",
                f"The {section_local} names no account (Acct)",
                line=element.sourceline,
                path=f"{statement.path}/Acct",
            )
        statement.account = self._account(acct, paths)
        if statement.account is None:
            raise FileRefused(
                "missing",
                "The account has no Id (IBAN or Othr/Id)",
                line=acct.sourceline,
                path=f"{statement.path}/Acct/Id",
            )
        statement.currency = _text(element, paths.acct_ccy)
        summary = element.find(paths.txs_summry)
        if summary is not None:
            statement.summary = summary
            statement.summary_line = summary.sourceline

    @staticmethod
    def _account(acct, paths: _Paths) -> Account | None:
        iban = _text(acct, paths.iban)
        if iban:
            return Account(AccountScheme.IBAN, iban.replace(" ", "").upper())
        other = _text(acct, paths.othr_id)
        if not other:
            return None
        scheme = (_text(acct, paths.schme_prtry) or _text(acct, paths.schme_cd)).upper()
        if scheme == "BGNR":
            return Account(AccountScheme.BANKGIRO, format_bankgiro(other.replace("-", "")))
        if scheme == "PGNR":
            return Account(AccountScheme.PLUSGIRO, format_plusgiro(other.replace("-", "")))
        if scheme == "BBAN":
            return Account(AccountScheme.BBAN, other.replace(" ", ""))
        compact = other.replace(" ", "").upper()
        if std_iban.is_valid(compact):
            return Account(AccountScheme.IBAN, compact)
        return Account(AccountScheme.OTHER, other)

    def _check_statement(self, statement: _Statement, paths: _Paths) -> None:
        summary = statement.summary
        if summary is None:
            return
        where = f"{statement.path}/TxsSummry"
        checks = [
            ("TtlNtries/NbOfNtries", paths.ttl_nb, statement.entries, "count"),
            ("TtlNtries/Sum", paths.ttl_sum, statement.credit_sum + statement.debit_sum, "sum"),
            ("TtlCdtNtries/NbOfNtries", paths.cdt_nb, statement.credit_entries, "count"),
            ("TtlCdtNtries/Sum", paths.cdt_sum, statement.credit_sum, "sum"),
            ("TtlDbtNtries/NbOfNtries", paths.dbt_nb, statement.debit_entries, "count"),
            ("TtlDbtNtries/Sum", paths.dbt_sum, statement.debit_sum, "sum"),
        ]
        for name, path, computed, kind in checks:
            text = _text(summary, path)
            if not text:
                continue
            stated = self._decimal(text, summary, f"{where}/{name}")
            if stated != computed:
                raise FileRefused(
                    "count_mismatch" if kind == "count" else "totals_mismatch",
                    f"{name} states {text}; the entries make {computed}",
                    line=statement.summary_line,
                    path=f"{where}/{name}",
                    stated=text,
                    computed=str(computed),
                )
        net_text = _text(summary, paths.ttl_net_amt) or _text(summary, paths.ttl_net_amt_v2)
        if net_text:
            stated = self._decimal(net_text, summary, f"{where}/TtlNtries/TtlNetNtry")
            if _text(summary, paths.ttl_net_ind) == "DBIT":
                stated = -stated
            computed = statement.credit_sum - statement.debit_sum
            if stated != computed:
                raise FileRefused(
                    "totals_mismatch",
                    f"TtlNetNtry states {stated}; the entries make {computed}",
                    line=statement.summary_line,
                    path=f"{where}/TtlNtries/TtlNetNtry",
                    stated=str(stated),
                    computed=str(computed),
                )

    # --- values -----------------------------------------------------------------------------

    @staticmethod
    def _decimal(text: str, element, path: str) -> Decimal:
        if not _AMOUNT.fullmatch(text):
            raise FileRefused(
                "invalid_value", f"Not an amount: {text!r}", line=element.sourceline, path=path, value=text
            )
        return Decimal(text)

    def _amount(self, element, path: str) -> tuple[Decimal, str]:
        text = (element.text or "").strip()
        amount = self._decimal(text, element, path)
        currency = element.get("Ccy", "")
        if not _CURRENCY.fullmatch(currency):
            raise FileRefused(
                "invalid_value",
                f"The amount's currency (Ccy) is not a currency code: {currency!r}",
                line=element.sourceline,
                path=path,
                value=currency,
            )
        return amount, currency

    @staticmethod
    def _datetime(text: str, element, path: str, *, required: bool = False) -> dt.datetime | None:
        if not text:
            if required:
                raise FileRefused("missing", "A required time is missing", line=element.sourceline, path=path)
            return None
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise FileRefused(
                "invalid_value", f"Not a time: {text!r}", line=element.sourceline, path=path, value=text
            ) from None

    @staticmethod
    def _date(element, date_path: str, time_path: str, path: str) -> dt.date | None:
        text = _text(element, date_path)
        try:
            if text:
                return dt.date.fromisoformat(text)
            text = _text(element, time_path)
            return dt.datetime.fromisoformat(text).date() if text else None
        except ValueError:
            raise FileRefused(
                "invalid_value", f"Not a date: {text!r}", line=element.sourceline, path=path, value=text
            ) from None

    # --- entries and transactions -----------------------------------------------------------

    def _entry(self, ntry, paths: _Paths, statement: _Statement, index: int, msg_id: str) -> Iterator[BankTransaction]:
        statement.entries += 1
        entry = _Entry()
        entry.index = index
        entry.path = f"{statement.path}/Ntry[{statement.entries}]"
        amt = ntry.find(paths.amt)
        if amt is None:
            raise FileRefused(
                "missing", "The entry has no amount (Amt)", line=ntry.sourceline, path=f"{entry.path}/Amt"
            )
        entry.amount, entry.currency = self._amount(amt, f"{entry.path}/Amt")
        indicator = _text(ntry, paths.cdt_dbt)
        if indicator not in ("CRDT", "DBIT"):
            raise FileRefused(
                "missing" if not indicator else "invalid_value",
                f"The entry's CdtDbtInd is {indicator!r}, not CRDT or DBIT",
                line=ntry.sourceline,
                path=f"{entry.path}/CdtDbtInd",
            )
        entry.direction = Direction(indicator)
        if entry.direction is Direction.CREDIT:
            statement.credit_entries += 1
            statement.credit_sum += entry.amount
        else:
            statement.debit_entries += 1
            statement.debit_sum += entry.amount
        entry.reversal = _text(ntry, paths.rvsl).lower() in ("true", "1")
        entry.status = _text(ntry, paths.sts_cd) or _text(ntry, paths.sts)
        if not entry.status:
            raise FileRefused(
                "missing", "The entry has no status (Sts)", line=ntry.sourceline, path=f"{entry.path}/Sts"
            )
        entry.booking_date = self._date(ntry, paths.bookg_dt, paths.bookg_dt_tm, f"{entry.path}/BookgDt")
        entry.value_date = self._date(ntry, paths.val_dt, paths.val_dt_tm, f"{entry.path}/ValDt")
        entry.entry_ref = _text(ntry, paths.ntry_ref)
        entry.acct_svcr_ref = _text(ntry, paths.acct_svcr_ref)
        entry.info = _text(ntry, paths.addtl_ntry_inf)
        entry.method_codes = (
            _text(ntry, paths.domn_cd),
            _text(ntry, paths.fmly_cd),
            _text(ntry, paths.sub_fmly_cd),
            _text(ntry, paths.prtry_cd),
        )
        entry.charges = self._charges(ntry, paths, entry.path)

        details = ntry.findall(paths.tx_dtls)
        self._check_batch(ntry, paths, entry, details)
        if not details:
            statement.transactions += 1
            self._add(statement, entry.direction, entry.amount)
            yield self._transaction(None, entry, 1, 1, paths, statement, msg_id)
            return
        for number, tx in enumerate(details, start=1):
            transaction = self._transaction(tx, entry, number, len(details), paths, statement, msg_id)
            statement.transactions += 1
            if transaction.amount is not None:
                self._add(statement, transaction.direction, transaction.amount)
            yield transaction

    @staticmethod
    def _add(statement: _Statement, direction: Direction, amount: Decimal) -> None:
        if direction is Direction.CREDIT:
            statement.tx_credit += amount
        else:
            statement.tx_debit += amount

    def _charges(self, element, paths: _Paths, path: str) -> Decimal | None:
        total = element.find(paths.chrgs_total)
        if total is not None:
            return self._amount(total, f"{path}/Chrgs/TtlChrgsAndTaxAmt")[0]
        records = element.findall(paths.chrgs_rcrd)
        if not records:
            return None
        return sum((self._amount(r, f"{path}/Chrgs/Rcrd/Amt")[0] for r in records), Decimal(0))

    def _check_batch(self, ntry, paths: _Paths, entry: _Entry, details: list) -> None:
        batch = ntry.find(paths.btch)
        if batch is None:
            return
        stated = _text(batch, paths.btch_nb)
        if stated and stated.isdigit() and int(stated) != len(details):
            self.warnings.append(
                f"{entry.path}/NtryDtls/Btch (line {batch.sourceline}): NbOfTxs states {stated}, "
                f"the entry has {len(details)} TxDtls"
            )

    def _transaction(
        self, tx, entry: _Entry, number: int, of: int, paths: _Paths, statement: _Statement, msg_id: str
    ) -> BankTransaction:
        path = f"{entry.path}/NtryDtls/TxDtls[{number}]" if tx is not None else entry.path
        amount: Decimal | None = entry.amount
        currency = entry.currency
        direction = entry.direction
        line = tx.sourceline if tx is not None else None
        end_to_end = tx_id = uetr = tx_ref = payer_name = payer_account = org = ""
        scheme = None
        address: tuple[str, ...] = ()
        reference = ""
        reference_kind = None
        extra: list[ExtraReference] = []
        message_lines: list[str] = []
        info = entry.info
        charges = entry.charges if of == 1 else None
        clearing = ""
        if tx is not None:
            for amount_path, name in (
                (paths.tx_amt_v3, "Amt"),
                (paths.tx_amt, "AmtDtls/TxAmt/Amt"),
                (paths.instd_amt, "AmtDtls/InstdAmt/Amt"),
            ):
                element = tx.find(amount_path)
                if element is not None:
                    amount, currency = self._amount(element, f"{path}/{name}")
                    break
            else:
                if of > 1:
                    amount = None
            indicator = _text(tx, paths.cdt_dbt)
            if indicator in ("CRDT", "DBIT"):
                direction = Direction(indicator)
            elif indicator:
                raise FileRefused(
                    "invalid_value",
                    f"CdtDbtInd is {indicator!r}, not CRDT or DBIT",
                    line=line,
                    path=f"{path}/CdtDbtInd",
                )
            end_to_end = _text(tx, paths.end_to_end)
            tx_id = _text(tx, paths.tx_id)
            uetr = _text(tx, paths.uetr).lower()
            tx_ref = _text(tx, paths.tx_acct_svcr_ref)
            payer_name = (
                _text(tx, paths.dbtr_pty_nm)
                or _text(tx, paths.dbtr_nm)
                or _text(tx, paths.ultmt_dbtr_pty_nm)
                or _text(tx, paths.ultmt_dbtr_nm)
            )
            org = _text(tx, paths.dbtr_pty_org) or _text(tx, paths.dbtr_org)
            adr = tx.find(paths.dbtr_pty_adr)
            if adr is None:
                adr = tx.find(paths.dbtr_adr)
            if adr is not None:
                address = tuple(t.strip() for t in adr.itertext() if t.strip())
            dbtr_acct = tx.find(paths.dbtr_acct)
            if dbtr_acct is not None:
                account = self._account(dbtr_acct, paths)
                if account is not None:
                    payer_account, scheme = account.value, account.scheme
            message_lines = [u.text.strip() for u in tx.iterfind(paths.ustrd) if u.text and u.text.strip()]
            for strd in tx.iterfind(paths.strd):
                ref = _text(strd, paths.cdtr_ref)
                if ref:
                    kind = classify_reference(ref)
                    if not reference:
                        reference, reference_kind = ref, kind
                    else:
                        extra.append(ExtraReference(ref, kind, None, f"{path}/RmtInf/Strd/CdtrRefInf/Ref"))
                doc = _text(strd, paths.rfrd_doc_nb)
                if doc:
                    rmtd = strd.find(paths.rmtd_amt)
                    doc_amount = (
                        self._amount(rmtd, f"{path}/RmtInf/Strd/RfrdDocAmt/RmtdAmt")[0] if rmtd is not None else None
                    )
                    if _text(strd, paths.rfrd_doc_cd) == "CREN" and doc_amount is not None:
                        doc_amount = -doc_amount
                    extra.append(
                        ExtraReference(
                            doc, ReferenceKind.INVOICE_NUMBER, doc_amount, f"{path}/RmtInf/Strd/RfrdDocInf/Nb"
                        )
                    )
                more = _text(strd, paths.addtl_rmt_inf)
                if more:
                    message_lines.append(more)
            info = _text(tx, paths.addtl_tx_inf) or info
            tx_charges = self._charges(tx, paths, path)
            if tx_charges is not None:
                charges = tx_charges
            clearing = _text(tx, paths.clr_mmb)
            domn, fmly, sub, prtry = (
                _text(tx, paths.domn_cd) or entry.method_codes[0],
                _text(tx, paths.fmly_cd) or entry.method_codes[1],
                _text(tx, paths.sub_fmly_cd) or entry.method_codes[2],
                _text(tx, paths.prtry_cd) or entry.method_codes[3],
            )
        else:
            domn, fmly, sub, prtry = entry.method_codes
        message = "\n".join(message_lines)
        method = _method(statement.account, scheme, clearing, fmly, prtry, message, info)

        account_key = statement.account.value if statement.account else ""
        keys = []
        if uetr:
            keys.append(f"uetr:{uetr}")
        if tx_ref and tx_ref.upper() != _NOT_PROVIDED:
            keys.append(f"txref:{account_key}:{tx_ref}")
        if tx_id and tx_id.upper() != _NOT_PROVIDED:
            keys.append(f"txid:{account_key}:{tx_id}")
        entry_ref = entry.acct_svcr_ref or entry.entry_ref
        if entry_ref and entry_ref.upper() != _NOT_PROVIDED:
            keys.append(f"entry:{account_key}:{entry_ref}:{number}")
        if not keys:
            keys.append(f"position:{msg_id}:{statement.identifier}:{entry.index}:{number}")
        return BankTransaction(
            format=self.format,
            amount=amount,
            currency=currency,
            direction=direction,
            account=statement.account,
            booking_date=entry.booking_date,
            value_date=entry.value_date,
            payer_name=payer_name,
            payer_account=payer_account,
            payer_account_scheme=scheme,
            payer_org_number=org,
            payer_address=address,
            reference=reference,
            reference_kind=reference_kind,
            reference_checked=False,
            extra_references=tuple(extra),
            message=message,
            reversal=entry.reversal,
            status=entry.status,
            method=method,
            charges=charges,
            end_to_end_id=end_to_end,
            tx_id=tx_id,
            uetr=uetr,
            acct_svcr_ref=tx_ref or entry.acct_svcr_ref,
            entry_ref=entry.entry_ref,
            entry_amount=entry.amount,
            entry_index=entry.index,
            index_in_entry=number,
            position=f"{path} (line {line or '?'})",
            line=line,
            dedup_keys=tuple(keys),
            details={
                "bank_transaction_code": "/".join(c for c in (domn, fmly, sub) if c),
                "proprietary_code": prtry,
                "additional_info": info,
                "entry_path": entry.path,
            },
        )


_CARD_FAMILIES = frozenset({"CCRD", "MCRD"})
_DIRECT_DEBIT_FAMILIES = frozenset({"RDDT", "IDDT"})
_TRANSFER_FAMILIES = frozenset({"RCDT", "ICDT", "RRCT", "IRCT"})


def _method(
    account: Account | None, payer_scheme, clearing: str, fmly: str, prtry: str, message: str, info: str
) -> Method:
    if "SWISH" in prtry.upper() or "SWISH" in info.upper() or message.upper().startswith("SWISH"):
        return Method.SWISH
    if fmly in _CARD_FAMILIES:
        return Method.CARD
    if fmly in _DIRECT_DEBIT_FAMILIES:
        return Method.DIRECT_DEBIT
    if (
        payer_scheme is AccountScheme.BANKGIRO
        or clearing == "9900"
        or (account and account.scheme is AccountScheme.BANKGIRO)
    ):
        return Method.BANKGIRO
    if (
        payer_scheme is AccountScheme.PLUSGIRO
        or clearing == "9960"
        or (account and account.scheme is AccountScheme.PLUSGIRO)
    ):
        return Method.PLUSGIRO
    if fmly in _TRANSFER_FAMILIES:
        return Method.TRANSFER
    return Method.UNKNOWN
