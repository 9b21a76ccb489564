"""The format comes from the content: every sample recognised, whatever its name; empty and
unknown files refused with a clear code."""

from __future__ import annotations

import pytest

from fakturera.payments.files import (
    AutogiroReader,
    BgMaxReader,
    CamtReader,
    FileFormat,
    FileRefused,
    detect_format,
    open_reader,
    read_file,
)
from fakturera.payments.tests.samples import BGMAX, CAMT, FORMATS, NEW_LAYOUT, OLD_LAYOUT, needs_formats, sample

SAMPLES = {
    **{f"camt/{name}": FileFormat.CAMT_053 for name in ("camt053.v2.minimal.xml", "camt053.v8.xml")},
    **{
        f"camt/{name}": FileFormat.CAMT_054
        for name in ("camt054.v2.xml", "camt054.v4.xml", "camt054.v8.xml", "camt054.v8-with-UETR.xml")
    },
    **{f"bgmax/{p.relative_to(BGMAX)}": FileFormat.BGMAX for p in sorted(BGMAX.rglob("*.txt"))},
    "autogiro/new_layout/autogiro_exempelfil_bg-max-forma_sv.txt": FileFormat.BGMAX,
    "autogiro/new_layout/autogiro_exempelfil_bet-spec-o-tk_sv.txt": FileFormat.AUTOGIRO_PAYMENTS,
    "autogiro/new_layout/autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt": FileFormat.AUTOGIRO_REJECTED,
    **{f"autogiro/old_layout/{p.name}": FileFormat.AUTOGIRO_REJECTED for p in sorted(OLD_LAYOUT.glob("*avvisade*"))},
    "autogiro/old_layout/autogiro_gl_betalningsspec-stoppadebetalningar-tackningskontroll_fran-bankgirot-"
    "medgivanden-bankgironummer_exempelfil_sv.txt": FileFormat.AUTOGIRO_PAYMENTS,
}


@needs_formats
def test_the_sample_folders_hold_what_this_test_knows():
    assert len([k for k in SAMPLES if k.startswith("bgmax/")]) == 8
    assert len(list(CAMT.glob("*.xml"))) == 6
    assert len(list(NEW_LAYOUT.glob("*.txt"))) == 11


@needs_formats
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_is_recognised_by_its_content(name, tmp_path):
    data = sample(FORMATS / name).read_bytes()
    assert detect_format(data[:4096]) is SAMPLES[name]
    # The name tells nothing: the same bytes under another name are read the same way.
    renamed = tmp_path / "upload.bin"
    renamed.write_bytes(data)
    reader = open_reader(renamed)
    expected = {
        FileFormat.CAMT_053: CamtReader,
        FileFormat.CAMT_054: CamtReader,
        FileFormat.BGMAX: BgMaxReader,
    }.get(SAMPLES[name], AutogiroReader)
    assert isinstance(reader, expected)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"Datum;Belopp;Text\n2026-11-30;100,00;Faktura 1\n", "unknown_format"),
        (b"<?xml version='1.0'?><html><body/></html>", "unknown_format"),
        (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>', "unsupported"),
        (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "unsupported"),
        (b"%PDF-1.7\n", "unknown_format"),
        (b"0120261228AUTOGIRO" + b" " * 44 + b"4711170009912346  \r\n", "unsupported"),
    ],
)
def test_what_is_not_a_bank_file_is_refused(data, code):
    with pytest.raises(FileRefused) as refused:
        read_file(data)
    assert refused.value.code == code
    assert refused.value.message


def test_a_file_object_is_read_from_its_start(tmp_path):
    import io

    data = (
        b"01BGMAX               0120240101120000000000P".ljust(80)
        + b"\n"
        + b"050009912346          SEK".ljust(80)
        + b"\n"
        + b"15"
        + b"0" * 35
        + b"20240102"
        + b"00001"
        + b"0" * 18
        + b"SEK"
        + b"00000000 \n"
        + b"7000000000000000000000000000000001".ljust(80)
        + b"\n"
    )
    upload = io.BytesIO(data)
    upload.seek(17)
    bank_file = read_file(upload)
    assert bank_file.summary.format is FileFormat.BGMAX
    assert bank_file.transactions == ()
