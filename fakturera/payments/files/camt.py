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
from fakturera.payments.files.source import Source, head, open_source
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
# The root element's start tag and its namespace declarations, in the first bytes of the file.
_ROOT = re.compile(rb"<(?:\w+:)?Document\b([^>]*)>", re.DOTALL)
_XMLNS = re.compile(rb"xmlns(?::\w+)?\s*=\s*[\"']([^\"']+)[\"']")
VERSIONS = range(2, 14)
_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,5})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_NOT_PROVIDED = "NOTPROVIDED"

MESSAGES = {
    "camt.053": ("BkToCstmrStmt", "Stmt", "statement", FileFormat.CAMT_053),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "notification", FileFormat.CAMT_054),
}


class _Node:
    """An element's leaves by their path of local names below it ("Refs/EndToEndId"), from one walk
    over its subtree: a lookup is then a dict access, not an XPath evaluation. Repeated containers
    named in `groups` ("NtryDtls/TxDtls", "RmtInf/Strd") are kept whole, in order, for their own
    walk; every other leaf is listed under its path in document order, and the stripped text of
    the first under its path in `first` (what `text` gives; the readers of entries look there
    directly, `first.get(path, "")`, tens of times per entry)."""

    __slots__ = ("element", "first", "groups", "leaves")

    def __init__(self, element, cut: int, groups: frozenset[str] = frozenset()) -> None:
        self.element = element
        leaves: dict[str, list] = {}
        found: dict[str, list] = {}
        first: dict[str, str] = {}
        self.leaves = leaves
        self.groups = found
        self.first = first
        # Breadth first: the elements of one path are all at one depth, where they come in
        # document order, so each path's list is in document order (the list grows as it is read).
        queue = [(element, "")]
        push = queue.append
        containers = _CONTAINERS
        for parent, prefix in queue:
            for child in parent:
                path = prefix + child.tag[cut:]
                if path in groups:
                    if path in found:
                        found[path].append(child)
                    else:
                        found[path] = [child]
                elif len(child):
                    if path in containers:
                        push((child, path + "/"))
                elif path in leaves:
                    leaves[path].append(child)
                else:
                    leaves[path] = [child]
                    text = child.text
                    first[path] = text.strip() if text else ""

    def find(self, path: str):
        found = self.leaves.get(path)
        return found[0] if found else None

    def text(self, path: str) -> str:
        return self.first.get(path, "")

    def texts(self, path: str) -> list[str]:
        return [e.text.strip() for e in self.leaves.get(path, ()) if e.text and e.text.strip()]

    def group(self, path: str) -> list:
        return self.groups.get(path, [])


# Every path read below an entry, a transaction, a Strd block, an account, a summary or a batch.
# The walk descends only into the containers on the way to them: the creditor's side (that is
# us), agents, addresses of others, extension data and whatever a bank adds are not walked.
_READ_PATHS = (
    "Amt", "CdtDbtInd", "RvslInd", "Sts/Cd", "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm",
    "NtryRef", "AcctSvcrRef", "AddtlNtryInf", "BkTxCd/Domn/Cd", "BkTxCd/Domn/Fmly/Cd",
    "BkTxCd/Domn/Fmly/SubFmlyCd", "BkTxCd/Prtry/Cd", "Chrgs/TtlChrgsAndTaxAmt",
    "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt", "Refs/EndToEndId", "Refs/TxId", "Refs/AcctSvcrRef",
    "Refs/UETR", "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm", "RltdPties/UltmtDbtr/Nm",
    "RltdPties/UltmtDbtr/Pty/Nm", "RltdPties/Dbtr/Id/OrgId/Othr/Id", "RltdPties/Dbtr/Pty/Id/OrgId/Othr/Id",
    "RmtInf/Ustrd", "AddtlTxInf", "RltdAgts/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId",
    "CdtrRefInf/Ref", "CdtrRefInf/Tp/CdOrPrtry/Cd", "RfrdDocInf/Nb", "RfrdDocInf/Tp/CdOrPrtry/Cd",
    "RfrdDocAmt/RmtdAmt", "AddtlRmtInf",
    "Id/IBAN", "Id/Othr/Id", "Id/Othr/SchmeNm/Cd", "Id/Othr/SchmeNm/Prtry", "Ccy", "CreDtTm",
    "TtlNtries/NbOfNtries", "TtlNtries/Sum", "TtlNtries/TtlNetNtry/Amt", "TtlNtries/TtlNetNtry/CdtDbtInd",
    "TtlNtries/TtlNetNtryAmt", "TtlNtries/TtlNetNtryCdtDbtInd", "TtlCdtNtries/NbOfNtries", "TtlCdtNtries/Sum",
    "TtlDbtNtries/NbOfNtries", "TtlDbtNtries/Sum", "NbOfTxs",
)  # fmt: skip
_CONTAINERS = frozenset(
    path.rsplit("/", n)[0] for path in _READ_PATHS for n in range(1, path.count("/") + 1)
) | frozenset({"NtryDtls", "RmtInf", "RltdPties", "Chrgs"})

# Containers read on their own (repeated, or read whole).
_ENTRY_GROUPS = frozenset({"NtryDtls/TxDtls", "NtryDtls/Btch", "Chrgs/Rcrd"})
_TX_GROUPS = frozenset(
    {"RmtInf/Strd", "Chrgs/Rcrd", "RltdPties/Dbtr/PstlAdr", "RltdPties/Dbtr/Pty/PstlAdr", "RltdPties/DbtrAcct"}
)
_STATEMENT_GROUPS = frozenset({"Acct", "TxsSummry", "Ntry", "Bal"})


def _text(element, path: str) -> str:
    """A text below an element by a path of qualified names (few, outside the per-entry loop)."""
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
        self.identifier = ""
        self.account: Account | None = None
        self.currency = ""
        self.created: dt.datetime | None = None
        self.summary: _Node | None = None
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

    format: FileFormat

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

    def _namespace(self, fileobj) -> str:
        """The root element's namespace, from the first bytes (iterparse is then told which
        elements to stop at, so it returns to Python only for those)."""
        data = head(fileobj)
        if not data.strip():
            raise FileRefused("empty", "The file is empty")
        root = _ROOT.search(data)
        namespaces = [m.decode("ascii", "replace") for m in _XMLNS.findall(root.group(1))] if root else []
        for namespace in namespaces:
            if NAMESPACE.fullmatch(namespace):
                return namespace
        raise FileRefused(
            "unknown_format",
            f"Not a camt.053 or camt.054 message: the root element's namespace is {', '.join(namespaces) or '(none)'}",
            line=1,
            path="/Document",
        )

    def _read(self, fileobj) -> Iterator[BankTransaction]:
        ns = self._namespace(fileobj)
        match = NAMESPACE.fullmatch(ns)
        message, version = match.group(1), int(match.group(2))
        if version not in VERSIONS:
            raise FileRefused(
                "unsupported",
                f"{message}.001.{version:02d} is not read (versions .001.02 to .001.13 are)",
                line=1,
                path="/Document",
            )
        message_tag, section_local, section_kind, file_format = MESSAGES[message]
        self.format = file_format
        message_qname = f"{{{ns}}}{message_tag}"
        section_qname = f"{{{ns}}}{section_local}"
        entry_qname = f"{{{ns}}}Ntry"
        header_qname = f"{{{ns}}}GrpHdr"
        cut = len(ns) + 2
        base = f"/Document/{message_tag}"
        events = etree.iterparse(
            fileobj,
            events=("end",),
            tag=(message_qname, header_qname, section_qname, entry_qname),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )

        msg_id = ""
        created: dt.datetime | None = None
        header_seen = False
        message_seen = False
        statements: list[_Statement] = []
        current: _Statement | None = None
        current_element = None
        entry_index = 0
        credit_totals: dict[str, Decimal] = {}
        debit_totals: dict[str, Decimal] = {}
        count = 0

        def statement_of(element) -> _Statement:
            """The Ntfctn/Stmt being read, opened when its first entry (or its end) is reached: only
            end events come back from the parser, and by then everything before them is there."""
            nonlocal current, current_element
            if element is not current_element:
                number = len(statements) + 1
                current = _Statement(number, f"{base}/{section_local}[{number}]")
                current.line = element.sourceline
                current_element = element
                statements.append(current)
                self._statement_header(current, element, cut, section_local)
            return current

        for _event, element in events:
            tag = element.tag
            if tag == entry_qname:
                parent = element.getparent()
                if parent.tag != section_qname or parent.getparent().tag != message_qname:
                    continue
                statement = statement_of(parent)
                entry_index += 1
                for transaction in self._entry(element, cut, statement, entry_index, msg_id):
                    count += 1
                    if transaction.amount is not None:
                        totals = credit_totals if transaction.direction is Direction.CREDIT else debit_totals
                        totals[transaction.currency] = totals.get(transaction.currency, Decimal(0)) + transaction.amount
                    yield transaction
                # Flat memory: the entry and everything before it in its parent go.
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    del parent[0]
                parent.remove(element)
            elif tag == header_qname:
                header_seen = True
                msg_id = _text(element, f"{{{ns}}}MsgId")
                if not msg_id:
                    raise FileRefused(
                        "missing", "The group header has no MsgId", line=element.sourceline, path=f"{base}/GrpHdr/MsgId"
                    )
                created = self._datetime(
                    _text(element, f"{{{ns}}}CreDtTm"), element, f"{base}/GrpHdr/CreDtTm", required=True
                )
            elif tag == section_qname:
                if element.getparent().tag != message_qname:
                    continue
                self._check_statement(statement_of(element))
                element.clear(keep_tail=False)
                current_element = None
            else:
                message_seen = True

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

    def _statement_header(self, statement: _Statement, element, cut: int, section_local: str) -> None:
        node = _Node(element, cut, _STATEMENT_GROUPS)
        statement.identifier = node.text("Id")
        if not statement.identifier:
            raise FileRefused(
                "missing", f"The {section_local} has no Id", line=element.sourceline, path=f"{statement.path}/Id"
            )
        statement.created = self._datetime(node.text("CreDtTm"), element, f"{statement.path}/CreDtTm")
        accounts = node.group("Acct")
        if not accounts:
            raise FileRefused(
                "missing",
                f"The {section_local} names no account (Acct)",
                line=element.sourceline,
                path=f"{statement.path}/Acct",
            )
        acct = _Node(accounts[0], cut)
        statement.account = _account(acct)
        if statement.account is None:
            raise FileRefused(
                "missing",
                "The account has no Id (IBAN or Othr/Id)",
                line=accounts[0].sourceline,
                path=f"{statement.path}/Acct/Id",
            )
        statement.currency = acct.text("Ccy")
        summaries = node.group("TxsSummry")
        if summaries:
            statement.summary = _Node(summaries[0], cut)
            statement.summary_line = summaries[0].sourceline

    def _check_statement(self, statement: _Statement) -> None:
        summary = statement.summary
        if summary is None:
            return
        where = f"{statement.path}/TxsSummry"
        checks = [
            ("TtlNtries/NbOfNtries", statement.entries, "count"),
            ("TtlNtries/Sum", statement.credit_sum + statement.debit_sum, "sum"),
            ("TtlCdtNtries/NbOfNtries", statement.credit_entries, "count"),
            ("TtlCdtNtries/Sum", statement.credit_sum, "sum"),
            ("TtlDbtNtries/NbOfNtries", statement.debit_entries, "count"),
            ("TtlDbtNtries/Sum", statement.debit_sum, "sum"),
        ]
        for name, computed, kind in checks:
            text = summary.text(name)
            if not text:
                continue
            stated = self._decimal(text, summary.find(name), f"{where}/{name}")
            if stated != computed:
                raise FileRefused(
                    "count_mismatch" if kind == "count" else "totals_mismatch",
                    f"{name} states {text}; the entries make {computed}",
                    line=statement.summary_line,
                    path=f"{where}/{name}",
                    stated=text,
                    computed=str(computed),
                )
        net_text = summary.text("TtlNtries/TtlNetNtry/Amt") or summary.text("TtlNtries/TtlNetNtryAmt")
        if net_text:
            stated = self._decimal(net_text, summary.element, f"{where}/TtlNtries/TtlNetNtry")
            indicator = summary.text("TtlNtries/TtlNetNtry/CdtDbtInd") or summary.text("TtlNtries/TtlNetNtryCdtDbtInd")
            if indicator == "DBIT":
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
                "invalid_value",
                f"Not an amount: {text!r}",
                line=element.sourceline if element is not None else None,
                path=path,
                value=text,
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
    def _date(node: _Node, name: str, path: str) -> dt.date | None:
        text = node.text(f"{name}/Dt")
        try:
            if text:
                return dt.date.fromisoformat(text)
            text = node.text(f"{name}/DtTm")
            return dt.datetime.fromisoformat(text).date() if text else None
        except ValueError:
            raise FileRefused(
                "invalid_value", f"Not a date: {text!r}", line=node.element.sourceline, path=path, value=text
            ) from None

    # --- entries and transactions -----------------------------------------------------------

    def _entry(self, ntry, cut: int, statement: _Statement, index: int, msg_id: str) -> Iterator[BankTransaction]:
        statement.entries += 1
        node = _Node(ntry, cut, _ENTRY_GROUPS)
        text = node.first.get
        entry = _Entry()
        entry.index = index
        entry.path = f"{statement.path}/Ntry[{statement.entries}]"
        amt = node.find("Amt")
        if amt is None:
            raise FileRefused(
                "missing", "The entry has no amount (Amt)", line=ntry.sourceline, path=f"{entry.path}/Amt"
            )
        entry.amount, entry.currency = self._amount(amt, f"{entry.path}/Amt")
        indicator = text("CdtDbtInd", "")
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
        entry.reversal = text("RvslInd", "").lower() in ("true", "1")
        entry.status = text("Sts/Cd", "") or text("Sts", "")
        if not entry.status:
            raise FileRefused(
                "missing", "The entry has no status (Sts)", line=ntry.sourceline, path=f"{entry.path}/Sts"
            )
        entry.booking_date = self._date(node, "BookgDt", f"{entry.path}/BookgDt")
        entry.value_date = self._date(node, "ValDt", f"{entry.path}/ValDt")
        entry.entry_ref = text("NtryRef", "")
        entry.acct_svcr_ref = text("AcctSvcrRef", "")
        entry.info = text("AddtlNtryInf", "")
        entry.method_codes = (
            text("BkTxCd/Domn/Cd", ""),
            text("BkTxCd/Domn/Fmly/Cd", ""),
            text("BkTxCd/Domn/Fmly/SubFmlyCd", ""),
            text("BkTxCd/Prtry/Cd", ""),
        )
        entry.charges = self._charges(node, cut, entry.path)

        details = node.group("NtryDtls/TxDtls")
        self._check_batch(node, cut, entry, details)
        if not details:
            statement.transactions += 1
            self._add(statement, entry.direction, entry.amount)
            yield self._transaction(None, entry, 1, 1, cut, statement, msg_id)
            return
        for number, tx in enumerate(details, start=1):
            transaction = self._transaction(tx, entry, number, len(details), cut, statement, msg_id)
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

    def _charges(self, node: _Node, cut: int, path: str) -> Decimal | None:
        total = node.find("Chrgs/TtlChrgsAndTaxAmt")
        if total is not None:
            return self._amount(total, f"{path}/Chrgs/TtlChrgsAndTaxAmt")[0]
        records = node.group("Chrgs/Rcrd")
        if not records:
            return None
        charges = Decimal(0)
        for record in records:
            amount = _Node(record, cut).find("Amt")
            if amount is not None:
                charges += self._amount(amount, f"{path}/Chrgs/Rcrd/Amt")[0]
        return charges

    def _check_batch(self, node: _Node, cut: int, entry: _Entry, details: list) -> None:
        batches = node.group("NtryDtls/Btch")
        if not batches:
            return
        stated = _Node(batches[0], cut).text("NbOfTxs")
        if stated and stated.isdigit() and int(stated) != len(details):
            self.warnings.append(
                f"{entry.path}/NtryDtls/Btch (line {batches[0].sourceline}): NbOfTxs states {stated}, "
                f"the entry has {len(details)} TxDtls"
            )

    def _transaction(
        self, tx, entry: _Entry, number: int, of: int, cut: int, statement: _Statement, msg_id: str
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
        domn, fmly, sub, prtry = entry.method_codes
        if tx is not None:
            node = _Node(tx, cut, _TX_GROUPS)
            text = node.first.get
            for name in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
                element = node.find(name)
                if element is not None:
                    amount, currency = self._amount(element, f"{path}/{name}")
                    break
            else:
                if of > 1:
                    amount = None
            indicator = text("CdtDbtInd", "")
            if indicator in ("CRDT", "DBIT"):
                direction = Direction(indicator)
            elif indicator:
                raise FileRefused(
                    "invalid_value",
                    f"CdtDbtInd is {indicator!r}, not CRDT or DBIT",
                    line=line,
                    path=f"{path}/CdtDbtInd",
                )
            end_to_end = text("Refs/EndToEndId", "")
            tx_id = text("Refs/TxId", "")
            uetr = text("Refs/UETR", "").lower()
            tx_ref = text("Refs/AcctSvcrRef", "")
            payer_name = (
                text("RltdPties/Dbtr/Pty/Nm", "")
                or text("RltdPties/Dbtr/Nm", "")
                or text("RltdPties/UltmtDbtr/Pty/Nm", "")
                or text("RltdPties/UltmtDbtr/Nm", "")
            )
            org = text("RltdPties/Dbtr/Pty/Id/OrgId/Othr/Id", "") or text("RltdPties/Dbtr/Id/OrgId/Othr/Id", "")
            for adr in node.group("RltdPties/Dbtr/Pty/PstlAdr") or node.group("RltdPties/Dbtr/PstlAdr"):
                address = tuple(t.strip() for t in adr.itertext() if t.strip())
            for acct in node.group("RltdPties/DbtrAcct"):
                account = _account(_Node(acct, cut))
                if account is not None:
                    payer_account, scheme = account.value, account.scheme
            message_lines = node.texts("RmtInf/Ustrd")
            for strd_element in node.group("RmtInf/Strd"):
                strd = _Node(strd_element, cut)
                ref = strd.text("CdtrRefInf/Ref")
                if ref:
                    kind = classify_reference(ref)
                    if not reference:
                        reference, reference_kind = ref, kind
                    else:
                        extra.append(ExtraReference(ref, kind, None, f"{path}/RmtInf/Strd/CdtrRefInf/Ref"))
                doc = strd.text("RfrdDocInf/Nb")
                if doc:
                    rmtd = strd.find("RfrdDocAmt/RmtdAmt")
                    doc_amount = (
                        self._amount(rmtd, f"{path}/RmtInf/Strd/RfrdDocAmt/RmtdAmt")[0] if rmtd is not None else None
                    )
                    if strd.text("RfrdDocInf/Tp/CdOrPrtry/Cd") == "CREN" and doc_amount is not None:
                        doc_amount = -doc_amount
                    extra.append(
                        ExtraReference(
                            doc, ReferenceKind.INVOICE_NUMBER, doc_amount, f"{path}/RmtInf/Strd/RfrdDocInf/Nb"
                        )
                    )
                message_lines += strd.texts("AddtlRmtInf")
            info = text("AddtlTxInf", "") or info
            tx_charges = self._charges(node, cut, path)
            if tx_charges is not None:
                charges = tx_charges
            clearing = text("RltdAgts/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId", "")
            domn = text("BkTxCd/Domn/Cd", "") or domn
            fmly = text("BkTxCd/Domn/Fmly/Cd", "") or fmly
            sub = text("BkTxCd/Domn/Fmly/SubFmlyCd", "") or sub
            prtry = text("BkTxCd/Prtry/Cd", "") or prtry
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


def _account(acct: _Node) -> Account | None:
    iban = acct.text("Id/IBAN")
    if iban:
        return Account(AccountScheme.IBAN, iban.replace(" ", "").upper())
    other = acct.text("Id/Othr/Id")
    if not other:
        return None
    scheme = (acct.text("Id/Othr/SchmeNm/Prtry") or acct.text("Id/Othr/SchmeNm/Cd")).upper()
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
