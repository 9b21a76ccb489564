"""The SIE 4 reader: #KSUMMA as the spec computes it, and malformed files refused naming the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fakturera.bookkeeping.sie import SieError, SieReader, Transaction, read_sie


def spec_crc32(data: bytes) -> int:
    """The CRC of SIE 4B §10.11-10.13, transcribed from the spec's C example (CRC_skapa_tabell,
    CRC_start, CRC_ackumulera, CRC_retur), to check that the reader and writer compute it."""
    table = []
    for index in range(256):
        crc = index
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table.append(crc)
    crc = 0xFFFFFFFF
    for byte in data:
        crc = ((crc >> 8) & 0x00FFFFFF) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


BODY = (
    '#PROGRAM "Fakturera" 1.0\n'
    "#FORMAT PC8\n"
    "#GEN 20260131\n"
    "#SIETYP 4\n"
    '#FNAMN "Kassa & Co AB"\n'
    '#KONTO 1915 "Kassa \\"special\\""\n'
    '#KONTO 3001 "Försäljning"\n'
    '#VER "" "" 20260131 "Dagskassa"\n'
    "{\n"
    '\t#TRANS 1915 {1 "4 5"} 100.00\n'
    "\t#TRANS 3001 {} -100.00\n"
    "}\n"
)
# What §10.14 sums, by hand: labels and field contents, no blanks between fields, no quotes around
# them, no braces, `\"` as `"` alone; blanks inside a quoted field count. The spec's own example
# (§10.15) is the #KONTO 1915 line.
CONTENT = (
    "#PROGRAMFakturera1.0"
    "#FORMATPC8"
    "#GEN20260131"
    "#SIETYP4"
    "#FNAMNKassa & Co AB"
    '#KONTO1915Kassa "special"'
    "#KONTO3001Försäljning"
    "#VER20260131Dagskassa"
    "#TRANS191514 5100.00"
    "#TRANS3001-100.00"
).encode("cp437")


def with_checksum(value: int | str) -> bytes:
    return f"#FLAGGA 0\n#KSUMMA\n{BODY}#KSUMMA {value}\n".encode("cp437")


def test_a_file_checksummed_by_hand_is_accepted():
    expected = spec_crc32(CONTENT)

    sie = read_sie(with_checksum(expected))

    assert sie.checksum == expected
    assert sie.vouchers[0].transactions[0] == Transaction("1915", Decimal("100.00"), objects=((1, "4 5"),))


def test_the_spec_algorithm_is_zlibs():
    import zlib

    assert spec_crc32(CONTENT) == zlib.crc32(CONTENT)


def test_a_signed_checksum_is_accepted():
    # Some writers print the 32 bits as a signed integer; the spec's example is unsigned.
    unsigned = spec_crc32(CONTENT)
    signed = unsigned - (1 << 32) if unsigned >= 1 << 31 else unsigned

    assert read_sie(with_checksum(signed)).checksum == unsigned


def test_a_changed_file_fails_its_checksum_at_the_closing_ksumma():
    data = with_checksum(spec_crc32(CONTENT)).replace(b"100.00", b"900.00").replace(b"-100.00", b"-900.00")

    with pytest.raises(SieError) as refused:
        read_sie(data)

    assert refused.value.code == "checksum"
    assert refused.value.line == 15


def test_a_label_whose_case_was_changed_fails_the_checksum():
    # Labels are read in any case, but the checksum covers them as written: #program is not #PROGRAM.
    data = with_checksum(spec_crc32(CONTENT)).replace(b"#PROGRAM", b"#pROGRAM")

    with pytest.raises(SieError) as refused:
        read_sie(data)

    assert refused.value.code == "checksum"


def test_a_file_written_with_lower_case_labels_is_read_by_its_own_checksum():
    lower = BODY.replace("#PROGRAM", "#program").replace("#TRANS", "#trans")
    content = CONTENT.replace(b"#PROGRAM", b"#program").replace(b"#TRANS", b"#trans")

    sie = read_sie(f"#FLAGGA 0\n#KSUMMA\n{lower}#KSUMMA {spec_crc32(content)}\n".encode("cp437"))

    assert sie.header.program == "Fakturera"
    assert len(sie.vouchers[0].transactions) == 2


def test_the_writer_computes_the_checksum_the_spec_does():
    from fakturera.bookkeeping.sie import Account, Header, Voucher, write_sie

    out = __import__("io").BytesIO()
    write_sie(
        out,
        header=Header(
            company_name="Kassa & Co AB", generated_on=dt.date(2026, 1, 31), program_version="1.0", currency=""
        ),
        accounts=[Account("1915", 'Kassa "special"'), Account("3001", "Försäljning")],
        vouchers=iter(
            [
                Voucher(
                    series="",
                    number=None,
                    date=dt.date(2026, 1, 31),
                    text="Dagskassa",
                    transactions=(
                        Transaction("1915", Decimal("100.00"), objects=((1, "4 5"),)),
                        Transaction("3001", Decimal("-100.00")),
                    ),
                )
            ]
        ),
    )

    assert out.getvalue().decode("cp437").splitlines()[-1] == f"#KSUMMA {spec_crc32(CONTENT)}"


def test_a_file_without_its_closing_ksumma_is_truncated():
    with pytest.raises(SieError) as refused:
        read_sie(f"#FLAGGA 0\n#KSUMMA\n{BODY}".encode("cp437"))

    assert (refused.value.code, refused.value.line) == ("checksum", 2)
    assert "cut short" in str(refused.value)


def test_nothing_may_follow_the_closing_ksumma():
    data = with_checksum(spec_crc32(CONTENT)) + b'#KONTO 1910 "Kassa"\n'

    with pytest.raises(SieError) as refused:
        read_sie(data)

    assert refused.value.line == 16


MINIMAL = '#FLAGGA 0\n#PROGRAM "X" 1\n#FORMAT PC8\n#GEN 20260101\n#SIETYP 4\n#FNAMN "F AB"\n'


def refusal(body: str) -> SieError:
    with pytest.raises(SieError) as refused:
        read_sie((MINIMAL + body).encode("cp437"))
    return refused.value


@pytest.mark.parametrize(
    ("body", "line", "code", "words"),
    [
        ('#VER A 1 20260101 "x"\n{\n#TRANS 1910 {} 10.00\n#TRANS 3001 {} -9.00\n}\n', 7, "unbalanced", "sum to 1.00"),
        ('#VER A 1 20260101 "x"\n#TRANS 1910 {} 0\n', 8, "malformed", "followed by its transactions"),
        ('#VER A 1 20260101 "x"\n{\n#TRANS 1910 {} 0\n', 7, "malformed", "'}' is missing"),
        ("#TRANS 1910 {} 10.00\n", 7, "malformed", "outside a voucher"),
        ('#VER A 1 20260101 "x"\n{\n#TRANS 1910 {} 10.005\n}\n', 9, "invalid_value", "not an amount"),
        ('#VER A 1 20260101 "x"\n{\n#TRANS 1910 {} 10,00\n}\n', 9, "invalid_value", "not an amount"),
        ('#VER A 1 20260101 "x"\n{\n#TRANS 1910 10.00\n}\n', 9, "malformed", "object list"),
        ('#VER A 1 20260101 "x"\n{\n#TRANS 1910 {1} 10.00\n}\n', 9, "malformed", "pairs"),
        ('#VER A 1 20260101 "x"\n{\n#TRANS 19X0 {} 10.00\n}\n', 9, "invalid_value", "not numeric"),
        ('#VER A 1 20260231 "x"\n{\n}\n', 7, "invalid_value", "not a date"),
        ('#VER A 1 "x"\n{\n}\n', 7, "invalid_value", "not a date"),
        ('#VER A X1 20260101 "x"\n{\n}\n', 7, "invalid_value", "not a number"),
        ('#VER A 1 20260101 "x\n{\n}\n', 7, "malformed", "quoted field is not closed"),
        ('#VER A 1 20260101 "x"\n{\n#KONTO 1910 "Kassa"\n}\n', 9, "malformed", "inside a voucher"),
        ("}\n", 7, "malformed", "closes no voucher"),
        ("{\n", 7, "malformed", "follows no #VER"),
        ("#KONTO\n", 7, "missing", "field 1 is missing"),
        ('#KTYP 1910 T\n#KONTO 1910 "Kassa"\n', 7, "malformed", "before its #KONTO"),
        ('#KONTO 1910 "Kassa"\n#KTYP 1910 X\n', 8, "invalid_value", "T, S, K or I"),
        ("#RAR 0 20260101\n", 7, "missing", "field 3"),
        ("#IB 0 1910 {}\n", 7, "malformed", "object list"),
        ('#KONTO 1910 "Kassa\x07"\n', 7, "malformed", "control character"),
        ('#KONTO 1910 {1 {2 "x"}}\n', 7, "malformed", "inside an object list"),
        ("#KSUMMA 1\n", 7, "malformed", "without the opening"),
        ("#KSUMMA\n", 7, "malformed", "right after #FLAGGA"),
        ("KONTO 1910\n", 7, "malformed", "starts with a label"),
    ],
)
def test_malformed_records_are_refused_naming_the_line(body, line, code, words):
    refused = refusal(body)

    assert (refused.code, refused.line) == (code, line)
    assert words in str(refused)
    assert str(refused).startswith(f"Line {line}: ")


@pytest.mark.parametrize(
    ("data", "line", "code", "words"),
    [
        (b"", None, "empty", "empty"),
        (b"\n\n", None, "empty", "empty"),
        (b"#PROGRAM X 1\n", 1, "malformed", "starts with #FLAGGA"),
        (b"#FLAGGA 2\n", 1, "invalid_value", "0 or 1"),
        (MINIMAL.replace("#FORMAT PC8", "#FORMAT UTF8").encode(), 3, "unsupported", "PC8 only"),
        (MINIMAL.replace("#SIETYP 4", "#SIETYP 2").encode(), 5, "unsupported", "type 2"),
        (MINIMAL.replace('#FNAMN "F AB"\n', "").encode() + b"#VER A 1 20260101\n{\n}\n", 6, "missing", "#FNAMN"),
        (MINIMAL.replace("#GEN 20260101\n", "").encode(), None, "missing", "#GEN is missing in the file"),
    ],
)
def test_files_refused(data, line, code, words):
    with pytest.raises(SieError) as refused:
        read_sie(data)

    assert (refused.value.code, refused.value.line) == (code, line)
    assert words in str(refused.value)


def test_unknown_labels_extra_fields_rtrans_and_btrans_are_ignored():
    sie = read_sie(
        (
            MINIMAL + "#NYETIKETT 1 2 3\n"
            '#KONTO 1910 "Kassa" extra fält\n'
            '#VER A 1 20260101 "Porto" 20260102 "sign" mer\n'
            "{\n"
            "#TRANS 1910 {} -1000.00\n"
            "#BTRANS 6110 {} 800.00\n"
            "#RTRANS 6250 {} 800.00\n"
            "#TRANS 6250 {} 800.00\n"
            '#TRANS 2640 {} 200.00 20260101 "" 1 sign okänt\n'
            "#NYTRANS 1 2\n"
            "}\n"
        ).encode("cp437")
    )

    (voucher,) = sie.vouchers
    assert [(t.account, t.amount) for t in voucher.transactions] == [
        ("1910", Decimal("-1000.00")),
        ("6250", Decimal("800.00")),
        ("2640", Decimal("200.00")),
    ]
    assert sie.accounts[0].name == "Kassa"


def test_blank_lines_crlf_and_tabs_are_read():
    data = (
        MINIMAL + '\r\n#VER\tA\t1\t20260101\t"x"\r\n\r\n{\r\n  #TRANS 1910 { } 5\r\n\t#TRANS 3001 {} -5\r\n}\r\n'
    ).encode()

    (voucher,) = read_sie(data).vouchers

    assert [t.amount for t in voucher.transactions] == [Decimal(5), Decimal(-5)]


def test_vouchers_stream_one_at_a_time():
    vouchers = "".join(
        f'#VER A {n} 20260101 "v{n}"\n{{\n#TRANS 1910 {{}} {n}.00\n#TRANS 3001 {{}} -{n}.00\n}}\n' for n in range(1, 4)
    )
    reader = SieReader((MINIMAL + vouchers + '#VER A 4 20260101 "fel"\n{\n#TRANS 1910 {} 1\n}\n').encode())
    vouchers_read = iter(reader)

    seen = [next(vouchers_read).number for _ in range(3)]

    assert seen == [1, 2, 3]
    with pytest.raises(SieError):
        next(vouchers_read)
    with pytest.raises(RuntimeError):
        reader.result()


def test_a_file_mixing_pc8_and_utf8_is_refused_at_the_line_that_changes():
    data = MINIMAL.encode() + '#KONTO 1910 "Kassa för ö"\n'.encode("cp437") + '#KONTO 1911 "Kassa för ö"\n'.encode()

    with pytest.raises(SieError) as refused:
        read_sie(data)

    assert (refused.value.code, refused.value.line) == ("encoding", 8)
    assert "mixes character sets" in str(refused.value)


def test_a_quoted_company_name_keeps_to_its_quotes():
    sie = read_sie(MINIMAL.replace('#FNAMN "F AB"', '#FNAMN "F AB" okänt fält').encode("cp437"))

    assert sie.header.company_name == "F AB"
    assert sie.warnings == ()
