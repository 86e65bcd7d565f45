"""Evasion by padding: a payload hidden behind a first line longer than the sniffing window."""

from __future__ import annotations

from failmodes.artifacts import scan_bytes
from failmodes.artifacts.formats import SNIFF_BYTES

PAYLOAD = b"cos\nsystem\n(S'echo owned'\ntR."


def padded(size: int) -> bytes:
    """A protocol-0 pickle that pushes ``size`` bytes of string, pops it, then runs a command."""
    return b"S'" + b"A" * size + b"'\n0" + PAYLOAD


def test_a_padded_protocol_0_pickle_is_not_taken_for_text():
    report = scan_bytes(padded(SNIFF_BYTES + 10), "weights.bin")
    assert report.verdict.value == "malicious"
    assert [f.callable for f in report.findings] == ["os.system"]


def test_a_padded_payload_inside_load_from_bytes_is_scanned():
    inner = padded(SNIFF_BYTES + 10)
    for header in (b"\x80\x03", b"\x80\x04"):
        length = (
            b"B" + len(inner).to_bytes(4, "little")
            if header == b"\x80\x03"
            else b"\x8e" + len(inner).to_bytes(8, "little")
        )
        outer = header + b"ctorch.storage\n_load_from_bytes\n" + length + inner + b"\x85R."
        report = scan_bytes(outer, "checkpoint.pt")
        assert report.verdict.value == "malicious", header
        assert any(f.callable == "os.system" for f in report.findings)


def test_ordinary_text_stays_safe():
    text = b"# Model card\n\nThis folder holds the weights and a README.\n" * 2000
    assert scan_bytes(text, "README.md").verdict.value == "safe"


def test_npy_header_errors_read_the_same_every_run():
    header = b"{'descr': foo, 'fortran_order': False, 'shape': (1,), }".ljust(118) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
    first, second = scan_bytes(npy, "a.npy"), scan_bytes(npy, "a.npy")
    messages = [f.message for f in first.findings]
    assert messages == [f.message for f in second.findings]
    assert messages and not any(" at 0x" in m for m in messages)
