"""camt.053/054: every ISO sample read and checked by hand; a Swedish-style notification (bankgiro
account, OCR references, a batch, a reversal, charges, UETR); malformed files refused naming the
element and its line; 50,000 transactions streamed in flat memory."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from decimal import Decimal

import pytest

from fakturera.core.ocr import ReferenceKind, ocr_reference, rf_reference
from fakturera.payments.files import (
    AccountScheme,
    CamtReader,
    Direction,
    FileFormat,
    FileRefused,
    Method,
    iter_transactions,
    open_reader,
    read_file,
)
from fakturera.payments.tests.samples import CAMT, needs_formats, sample

# File -> (format, version, transactions, entries, {currency: credits}, {currency: debits}, account)
EXPECTED = {
    "camt053.v2.minimal.xml": ("camt.053", "001.02", 1, 1, {"EUR": Decimal("8.85")}, {}, "NL26VAYB8060476890"),
    "camt053.v8.xml": ("camt.053", "001.08", 1, 1, {"SEK": Decimal(0)}, {}, "NL26VAYB8060476890"),
    # Three TxDtls without their own amounts in one DBIT entry of 200000 SEK: amounts unknown.
    "camt054.v2.xml": ("camt.054", "001.02", 3, 1, {}, {}, "CH2801234000123456789"),
    "camt054.v4.xml": ("camt.054", "001.04", 3, 1, {"CHF": Decimal("9.5")}, {}, "CH2801234000123456789"),
    "camt054.v8.xml": ("camt.054", "001.08", 3, 1, {"CHF": Decimal("9.5")}, {}, "CH2801234000123456789"),
    "camt054.v8-with-UETR.xml": ("camt.054", "001.08", 1, 1, {}, {"SEK": Decimal(200000)}, "CH2801234000123456789"),
}


@needs_formats
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_is_read(name):
    fmt, version, count, entries, credits, debits, account = EXPECTED[name]
    bank_file = read_file(sample(CAMT / name))
    summary = bank_file.summary
    assert summary.format == fmt
    assert summary.version == version
    assert summary.transaction_count == len(bank_file.transactions) == count
    assert [s.stated_count for s in summary.sections] == [entries]
    assert summary.credit_totals == credits
    assert summary.debit_totals == debits
    assert [a.value for a in summary.accounts] == [account]
    assert all(a.scheme is AccountScheme.IBAN for a in summary.accounts)
    assert summary.message_id in ("CAMT053RIB000000000001", "AAAASESS-FP-ACCR001")
    for transaction in bank_file.transactions:
        assert transaction.dedup_keys
        assert transaction.position.startswith("/Document/")


@needs_formats
def test_camt054_v2_by_hand():
    bank_file = read_file(sample(CAMT / "camt054.v2.xml"))
    assert bank_file.summary.created_at == dt.datetime.fromisoformat("2007-10-18T12:30:00+01:00")
    first, second, third = bank_file.transactions
    assert (first.amount, first.entry_amount) == (None, Decimal(200000))
    assert first.direction is Direction.DEBIT
    assert first.booking_date == dt.date(2007, 10, 18)
    assert first.payer_name == "MUELLER"
    assert first.end_to_end_id == "MUELL/FINP/RA12345"
    assert first.reference == "ISR ref number V1"
    assert first.reference_kind is ReferenceKind.OTHER
    assert first.message == "Unstructured Remittance Information V1\nAdditional Remittance Information V1"
    assert third.reference == "Ref number V3 block 1"
    assert [e.value for e in third.extra_references] == ["Ref number V3 block 2"]
    assert first.line == 79
    assert third.position == "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/NtryDtls/TxDtls[3] (line 126)"
    # The end-to-end id is the payer's and repeats; the bank's entry reference and the place do not.
    assert [t.dedup_keys for t in bank_file.transactions] == [
        (f"entry:CH2801234000123456789:AAAASESS-FP-ACCR001:{n}",) for n in (1, 2, 3)
    ]
    assert len({t.dedup_keys for t in (first, second, third)}) == 3


@needs_formats
@pytest.mark.parametrize("name", ["camt054.v4.xml", "camt054.v8.xml"])
def test_camt054_v4_and_v8_by_hand(name):
    bank_file = read_file(sample(CAMT / name))
    first, second, third = bank_file.transactions
    assert (first.amount, first.currency, first.direction) == (Decimal("3.1"), "CHF", Direction.CREDIT)
    assert first.entry_amount == Decimal(200000)
    assert first.payer_name == "UNIFITS GmbH"
    assert first.payer_account == "CH2801234000123456789"
    assert first.payer_account_scheme is AccountScheme.IBAN
    assert first.end_to_end_id == "UXC06170000006PI00001EE00001"
    assert first.acct_svcr_ref == "ACSR160617103200001"
    assert first.method is Method.TRANSFER
    assert first.details["bank_transaction_code"] == "PMNT/ICDT/DMCT"
    assert second.end_to_end_id == third.end_to_end_id  # the sample repeats it ...
    assert second.dedup_keys != third.dedup_keys  # ... and they are still two transactions
    assert third.message.startswith("Unstructured Remittance Information V3 block 1\n")
    # The batch says 2 transactions; the entry has 3 TxDtls: a warning, not a refusal.
    [warning] = bank_file.summary.warnings
    assert "NbOfTxs states 2, the entry has 3 TxDtls" in warning


@needs_formats
def test_uetr_is_the_key():
    [transaction] = read_file(sample(CAMT / "camt054.v8-with-UETR.xml")).transactions
    assert transaction.uetr == "255ae394-9965-4438-ac86-f406feada396"
    assert transaction.dedup_keys == ("uetr:255ae394-9965-4438-ac86-f406feada396",)
    assert transaction.status == "BOOK"
    assert transaction.booking_date is None


@needs_formats
def test_camt053_statements_by_hand():
    [v2] = read_file(sample(CAMT / "camt053.v2.minimal.xml")).transactions
    [v8] = read_file(sample(CAMT / "camt053.v8.xml")).transactions
    assert (v2.amount, v2.currency, v2.direction, v2.reversal) == (Decimal("8.85"), "EUR", Direction.CREDIT, False)
    assert (v2.booking_date, v2.value_date) == (dt.date(2014, 12, 31), dt.date(2015, 1, 2))
    assert v2.reference == "4654654654654654"
    assert v2.reference_kind is ReferenceKind.NUMBER  # a SCOR reference, but no valid OCR
    assert v2.payer_name == v8.payer_name == "NAME NAME"
    assert v2.payer_address == ("NL", "ADDR ADDR 10", "2000 ANTWERPEN")
    assert v2.dedup_keys == ("position:CAMT053RIB000000000001:253EURNL26VAYB8060476890:1:1",)
    assert v8.booking_date == dt.date(2014, 12, 31)  # from BookgDt/DtTm
    assert v8.dedup_keys == ("entry:NL26VAYB8060476890:AAAASESS-FP-CN_98765/01:1",)
    assert v8.amount == Decimal(0)


def swedish_notification(*, summary: str = "", entries: str | None = None, namespace: str = "camt.054.001.02") -> bytes:
    ocr = ocr_reference("1002", with_length_digit=True)
    rf = rf_reference("10023")
    default_entries = f"""
      <Ntry>
        <NtryRef>NR-1</NtryRef>
        <Amt Ccy="SEK">1500.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-30</Dt></BookgDt>
        <ValDt><Dt>2026-11-30</Dt></ValDt>
        <AcctSvcrRef>BG-DEP-0042</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <Chrgs><TtlChrgsAndTaxAmt Ccy="SEK">2.50</TtlChrgsAndTaxAmt></Chrgs>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs><TtlAmt Ccy="SEK">1500.00</TtlAmt></Btch>
          <TxDtls>
            <Refs><AcctSvcrRef>BGC-000123</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="SEK">1000.00</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Dbtr><Nm>Kalles Plåt AB</Nm></Dbtr>
              <DbtrAcct><Id><Othr><Id>3783511</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id></DbtrAcct>
            </RltdPties>
            <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{ocr}</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Refs><TxId>TX-2</TxId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="SEK">500.00</Amt></TxAmt></AmtDtls>
            <RltdPties><Dbtr><Nm>Berits Garn</Nm></Dbtr></RltdPties>
            <RmtInf>
              <Ustrd>Faktura 10023 och 10024</Ustrd>
              <Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{rf}</Ref></CdtrRefInf></Strd>
              <Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>10024</Nb></RfrdDocInf>
                <RfrdDocAmt><RmtdAmt Ccy="SEK">200.00</RmtdAmt></RfrdDocAmt></Strd>
            </RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="SEK">1000.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <RvslInd>true</RvslInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-01</Dt></BookgDt>
        <AcctSvcrRef>BG-REV-0001</AcctSvcrRef>
        <AddtlNtryInf>Swish återbetalning</AddtlNtryInf>
      </Ntry>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{namespace}">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>SE-BANK-20261130-1</MsgId><CreDtTm>2026-11-30T18:00:00+01:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N-1</Id>
      <CreDtTm>2026-11-30T18:00:00+01:00</CreDtTm>
      <Acct><Id><Othr><Id>0009912346</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id><Ccy>SEK</Ccy></Acct>
      {summary}
      {default_entries if entries is None else entries}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>""".encode()


SUMMARY = """<TxsSummry>
        <TtlNtries><NbOfNtries>2</NbOfNtries><Sum>2500.00</Sum>
          <TtlNetNtry><Amt>500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></TtlNetNtry></TtlNtries>
        <TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>1500.00</Sum></TtlCdtNtries>
        <TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>1000.00</Sum></TtlDbtNtries>
      </TxsSummry>"""


def test_a_swedish_notification():
    bank_file = read_file(swedish_notification(summary=SUMMARY))
    summary = bank_file.summary
    assert summary.format is FileFormat.CAMT_054
    [account] = summary.accounts
    assert (account.scheme, account.value) == (AccountScheme.BANKGIRO, "991-2346")
    ocr, rf, reversal = bank_file.transactions
    assert ocr.amount == Decimal("1000.00")
    assert (ocr.reference, ocr.reference_kind) == ("100263", ReferenceKind.OCR)
    assert ocr.payer_name == "Kalles Plåt AB"
    assert (ocr.payer_account, ocr.payer_account_scheme) == ("378-3511", AccountScheme.BANKGIRO)
    assert ocr.method is Method.BANKGIRO
    assert ocr.charges is None  # the entry's charges are not one transaction's
    assert ocr.end_to_end_id == "NOTPROVIDED"
    assert ocr.dedup_keys == ("txref:991-2346:BGC-000123", "entry:991-2346:BG-DEP-0042:1")
    assert rf.reference_kind is ReferenceKind.RF
    assert rf.message == "Faktura 10023 och 10024"
    [invoice] = rf.extra_references
    assert (invoice.value, invoice.kind, invoice.amount) == ("10024", ReferenceKind.INVOICE_NUMBER, Decimal("200.00"))
    assert rf.dedup_keys == ("txid:991-2346:TX-2", "entry:991-2346:BG-DEP-0042:2")
    assert reversal.reversal
    assert reversal.direction is Direction.DEBIT
    assert reversal.charges is None
    assert reversal.method is Method.SWISH
    assert reversal.dedup_keys == ("entry:991-2346:BG-REV-0001:1",)
    assert summary.credit_totals == {"SEK": Decimal("1500.00")}
    assert summary.debit_totals == {"SEK": Decimal("1000.00")}
    assert summary.warnings == ()


@pytest.mark.parametrize("version", ["camt.054.001.04", "camt.054.001.08", "camt.054.001.10", "camt.053.001.13"])
def test_other_versions_by_namespace(version):
    data = swedish_notification(namespace=version)
    if version.startswith("camt.053"):
        data = data.replace(b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrStmt").replace(b"Ntfctn>", b"Stmt>")
    reader = open_reader(data)
    assert isinstance(reader, CamtReader)
    assert len(list(reader)) == 3
    assert reader.summary.version == version[-6:]


@pytest.mark.parametrize(
    ("change", "code", "path", "line"),
    [
        (
            lambda d: d.replace(b"<NbOfNtries>2</NbOfNtries>", b"<NbOfNtries>3</NbOfNtries>"),
            "count_mismatch",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/TxsSummry/TtlNtries/NbOfNtries",
            9,
        ),
        (
            lambda d: d.replace(b"<Sum>1500.00</Sum>", b"<Sum>1400.00</Sum>"),
            "totals_mismatch",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/TxsSummry/TtlCdtNtries/Sum",
            9,
        ),
        (
            lambda d: d.replace(b"<Amt>500.00</Amt>", b"<Amt>400.00</Amt>"),
            "totals_mismatch",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/TxsSummry/TtlNtries/TtlNetNtry",
            9,
        ),
        (
            lambda d: d.replace(b'<Amt Ccy="SEK">1500.00</Amt>', b'<Amt Ccy="SEK">15OO.00</Amt>'),
            "invalid_value",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt",
            None,
        ),
        (
            lambda d: d.replace(b'<Amt Ccy="SEK">1000.00</Amt>\n', b'<Amt Ccy="SEK">-1000.00</Amt>\n'),
            "invalid_value",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[2]/Amt",
            None,
        ),
        (
            lambda d: d.replace(b'<Amt Ccy="SEK">1500.00</Amt>', b""),
            "missing",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt",
            None,
        ),
        (
            lambda d: d.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", b"<CdtDbtInd>CREDIT</CdtDbtInd><Sts>"),
            "invalid_value",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/CdtDbtInd",
            None,
        ),
        (
            lambda d: d.replace(b"<Dt>2026-11-30</Dt></BookgDt>", b"<Dt>2026-11-31</Dt></BookgDt>"),
            "invalid_value",
            "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/BookgDt",
            None,
        ),
        (
            lambda d: d.replace(b"<MsgId>SE-BANK-20261130-1</MsgId>", b""),
            "missing",
            "/Document/BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId",
            4,
        ),
        (lambda d: d.replace(b"<Id>N-1</Id>", b""), "missing", "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Id", None),
    ],
)
def test_a_wrong_element_refuses_the_file_naming_it(change, code, path, line):
    with pytest.raises(FileRefused) as refused:
        read_file(change(swedish_notification(summary=SUMMARY)))
    assert refused.value.code == code
    assert refused.value.path == path
    assert refused.value.line is not None
    if line is not None:
        assert refused.value.line == line
    assert path in str(refused.value)


def test_malformed_xml_names_its_line():
    data = swedish_notification().replace(b"</Sts>", b"</Status>", 1)
    with pytest.raises(FileRefused) as refused:
        read_file(data)
    assert refused.value.code == "malformed"
    assert refused.value.line == 15


def test_wrong_namespace_and_unknown_versions_are_refused():
    with pytest.raises(FileRefused) as refused:
        read_file(swedish_notification(namespace="camt.052.001.02"))
    assert refused.value.code == "unsupported"
    with pytest.raises(FileRefused) as refused:
        list(CamtReader(swedish_notification(namespace="camt.054.001.99")))
    assert refused.value.code == "unsupported"
    with pytest.raises(FileRefused) as refused:
        list(CamtReader(swedish_notification(namespace="pain.001.001.03")))
    assert refused.value.code == "unknown_format"
    assert refused.value.path == "/Document"


def test_no_external_entities():
    data = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>&x;</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>1</Id><Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id></Acct></Ntfctn>
</BkToCstmrDbtCdtNtfctn></Document>"""
    with pytest.raises(FileRefused) as refused:
        list(CamtReader(data))
    # The entity is not expanded: the message id is empty, and nothing of the file was read.
    assert refused.value.code == "missing"
    assert refused.value.path == "/Document/BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId"
    assert "root:" not in str(refused.value)


ENTRY = """<Ntry><Amt Ccy="SEK">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-11-30</Dt></BookgDt><ValDt><Dt>2026-11-30</Dt></ValDt><AcctSvcrRef>R{n:08d}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><AcctSvcrRef>T{n:08d}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="SEK">{amount}</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Nm>Betalare {n}</Nm></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{ocr}</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry>
"""


def write_large_notification(path, count: int) -> Decimal:
    total = Decimal(0)
    with open(path, "w", encoding="utf-8") as out:
        out.write(swedish_notification(entries="@@").decode().split("@@")[0].replace("{summary}", ""))
        for n in range(1, count + 1):
            amount = Decimal(100 + n % 9000) + Decimal(n % 100) / 100
            total += amount
            out.write(ENTRY.format(amount=amount, n=n, ocr=ocr_reference(str(10000 + n), with_length_digit=True)))
        out.write(swedish_notification(entries="@@").decode().split("@@")[1])
    return total


def traced_peak(path) -> tuple[int, Decimal]:
    tracemalloc.start()
    credited = Decimal(0)
    for transaction in iter_transactions(path):
        credited += transaction.amount
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, credited


def test_ten_times_the_transactions_stream_in_flat_memory(tmp_path):
    # The speed is a benchmark's to measure (the payments issue's camt_import), never a test's;
    # this holds the reader to streaming: ten times the entries, not ten times the memory.
    small, medium = tmp_path / "camt054-1000.xml", tmp_path / "camt054-10000.xml"
    small_total = write_large_notification(small, 1_000)
    medium_total = write_large_notification(medium, 10_000)

    small_peak, credited = traced_peak(small)
    assert credited == small_total
    peak, credited = traced_peak(medium)
    assert credited == medium_total

    reader = open_reader(medium)
    assert sum(1 for _transaction in reader) == reader.summary.transaction_count == 10_000
    assert reader.summary.credit_totals == {"SEK": medium_total}
    # A tree of the whole file would be tens of MB; one entry at a time is kilobytes plus the
    # parser's buffers.
    assert peak < small_peak * 1.5 + 256 * 1024, f"peak {peak} bytes for 10,000, {small_peak} for 1,000"
    assert peak < 4 * 1024 * 1024


def test_a_prefixed_namespace_and_a_notification_without_entries():
    data = b"""<?xml version="1.0"?>
<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><c:BkToCstmrDbtCdtNtfctn>
<c:GrpHdr><c:MsgId>M1</c:MsgId><c:CreDtTm>2026-11-30T18:00:00</c:CreDtTm></c:GrpHdr>
<c:Ntfctn><c:Id>1</c:Id><c:Acct><c:Id><c:IBAN>SE45 5000 0000 0583 9825 7466</c:IBAN></c:Id></c:Acct>
<c:TxsSummry><c:TtlNtries><c:NbOfNtries>0</c:NbOfNtries></c:TtlNtries></c:TxsSummry></c:Ntfctn>
</c:BkToCstmrDbtCdtNtfctn></c:Document>"""
    bank_file = read_file(data)
    assert bank_file.transactions == ()
    assert [str(a) for a in bank_file.summary.accounts] == ["SE4550000000058398257466"]
    assert bank_file.summary.sections[0].stated_count == 0
    with pytest.raises(FileRefused) as refused:
        read_file(data.replace(b"<c:NbOfNtries>0<", b"<c:NbOfNtries>1<"))
    assert refused.value.code == "count_mismatch"
    assert refused.value.line == 5
