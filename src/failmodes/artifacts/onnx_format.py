"""ONNX models: custom operator domains and external-data paths, read from the protobuf.

An ONNX model runs no Python, but two things in it reach outside it. A node in an operator
domain that ONNX Runtime does not implement needs a custom-operator library, which is native
code loaded into the process. A tensor stored as external data names a file to read; a
location that is absolute or climbs out of the model's folder (``../../etc/passwd``, the
CVE-2022-25882 pattern) reads whatever file the attacker chooses.

The protobuf wire format is parsed directly, by field number, with no ``onnx`` dependency and
without copying: tensor bytes are skipped by their length.
"""

from __future__ import annotations

import posixpath
import re

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.limits import LimitExceeded
from failmodes.artifacts.results import FindingKind, Verdict

_MAX_NESTING = 64  # subgraphs within subgraphs
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:|^[\\/]")

# Field numbers from onnx.proto3.
MODEL_GRAPH, MODEL_OPSET, MODEL_TRAINING, MODEL_FUNCTIONS = 7, 8, 20, 25
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_SPARSE_INITIALIZER = 1, 5, 15
NODE_OP_TYPE, NODE_ATTRIBUTE, NODE_DOMAIN = 4, 5, 7
ATTR_TENSOR, ATTR_GRAPH, ATTR_TENSORS, ATTR_GRAPHS, ATTR_SPARSE = 5, 6, 10, 11, 22
TENSOR_NAME, TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION = 8, 13, 14
SPARSE_VALUES, SPARSE_INDICES = 1, 2
FUNCTION_NODE, FUNCTION_DOMAIN = 7, 10
TRAINING_INIT, TRAINING_ALGORITHM = 1, 2
OPSET_DOMAIN = 1
ENTRY_KEY, ENTRY_VALUE = 1, 2


class ProtobufError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def _varint(buf: Buffer, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise ProtobufError(f"a varint runs off its message at byte {pos}")
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7


def fields(buf: Buffer, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(field number, wire type, value start or varint value, value end) of each field."""
    out = []
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError(f"field number 0 at byte {pos}")
        if wire == 0:
            value, pos = _varint(buf, pos, end)
            out.append((number, wire, value, pos))
            continue
        if wire == 1:
            size = 8
        elif wire == 5:
            size = 4
        elif wire == 2:
            size, pos = _varint(buf, pos, end)
        else:
            raise ProtobufError(f"wire type {wire} at byte {pos} (groups are not used by ONNX)")
        if pos + size > end:
            raise ProtobufError(f"field {number} at byte {pos} runs past its message")
        out.append((number, wire, pos, pos + size))
        pos += size
    return out


def _text(buf: Buffer, start: int, end: int) -> str:
    return bytes(buf[start:end]).decode("utf-8", errors="replace")


def looks_like_onnx(buf: Buffer) -> bool:
    """Whether ``buf`` parses as a protobuf message with an ONNX model's graph field."""
    try:
        found = fields(buf, 0, len(buf))
    except ProtobufError:
        return False
    return any(n == MODEL_GRAPH and w == 2 for n, w, _, _ in found) and found[0][:2] == (1, 0)


class _OnnxWalk:
    def __init__(self, ctx: ScanContext, buf: Buffer) -> None:
        self.ctx = ctx
        self.buf = buf
        self.local_domains: set[str] = set()
        self.custom: dict[str, tuple[str, int]] = {}

    def model(self) -> None:
        top = fields(self.buf, 0, len(self.buf))
        for number, wire, start, end in top:
            if number == MODEL_FUNCTIONS and wire == 2:
                for n, w, s, e in fields(self.buf, start, end):
                    if n == FUNCTION_DOMAIN and w == 2:
                        self.local_domains.add(_text(self.buf, s, e))
        for number, wire, start, end in top:
            if wire != 2:
                continue
            if number == MODEL_GRAPH:
                self.graph(start, end, 0)
            elif number == MODEL_FUNCTIONS:
                self.nodes_of(start, end, FUNCTION_NODE, 0)
            elif number == MODEL_TRAINING:
                for n, w, s, e in fields(self.buf, start, end):
                    if n in (TRAINING_INIT, TRAINING_ALGORITHM) and w == 2:
                        self.graph(s, e, 0)
        self._report_custom()

    def graph(self, start: int, end: int, depth: int) -> None:
        if depth > _MAX_NESTING:
            raise LimitExceeded(f"subgraphs nested more than {_MAX_NESTING} deep")
        self.ctx.budget.check_time()
        for number, wire, s, e in fields(self.buf, start, end):
            if wire != 2:
                continue
            if number == GRAPH_NODE:
                self.node(s, e, depth)
            elif number == GRAPH_INITIALIZER:
                self.tensor(s, e)
            elif number == GRAPH_SPARSE_INITIALIZER:
                for n, w, ts, te in fields(self.buf, s, e):
                    if n in (SPARSE_VALUES, SPARSE_INDICES) and w == 2:
                        self.tensor(ts, te)

    def nodes_of(self, start: int, end: int, field_number: int, depth: int) -> None:
        for number, wire, s, e in fields(self.buf, start, end):
            if number == field_number and wire == 2:
                self.node(s, e, depth)

    def node(self, start: int, end: int, depth: int) -> None:
        domain, op_type = "", ""
        for number, wire, s, e in fields(self.buf, start, end):
            if wire != 2:
                continue
            if number == NODE_DOMAIN:
                domain = _text(self.buf, s, e)
            elif number == NODE_OP_TYPE:
                op_type = _text(self.buf, s, e)
            elif number == NODE_ATTRIBUTE:
                self.attribute(s, e, depth)
        if domain not in self.ctx.policy.onnx_domains and domain not in self.local_domains:
            self.custom.setdefault(domain, (op_type, start))

    def attribute(self, start: int, end: int, depth: int) -> None:
        for number, wire, s, e in fields(self.buf, start, end):
            if wire != 2:
                continue
            if number in (ATTR_GRAPH, ATTR_GRAPHS):
                self.graph(s, e, depth + 1)
            elif number in (ATTR_TENSOR, ATTR_TENSORS):
                self.tensor(s, e)
            elif number == ATTR_SPARSE:
                for n, w, ts, te in fields(self.buf, s, e):
                    if n in (SPARSE_VALUES, SPARSE_INDICES) and w == 2:
                        self.tensor(ts, te)

    def tensor(self, start: int, end: int) -> None:
        name, location = "", None
        for number, wire, s, e in fields(self.buf, start, end):
            if number == TENSOR_NAME and wire == 2:
                name = _text(self.buf, s, e)
            elif number == TENSOR_EXTERNAL_DATA and wire == 2:
                key = value = ""
                for n, w, es, ee in fields(self.buf, s, e):
                    if n == ENTRY_KEY and w == 2:
                        key = _text(self.buf, es, ee)
                    elif n == ENTRY_VALUE and w == 2:
                        value = _text(self.buf, es, ee)
                if key == "location":
                    location = value
        if location is not None and escapes_folder(location):
            self.ctx.add(
                FindingKind.PATH_ESCAPE,
                Verdict.MALICIOUS,
                f"tensor {name!r} reads its data from {location!r}, outside the model's "
                "folder: loading the model reads that file (CVE-2022-25882 pattern)",
                offset=start,
                advice="Do not load it. External data must live in the model's folder; ask "
                "the publisher for a model with its tensors inside or beside it.",
            )

    def _report_custom(self) -> None:
        for domain, (op_type, offset) in sorted(self.custom.items()):
            self.ctx.add(
                FindingKind.CUSTOM_CODE,
                Verdict.SUSPICIOUS,
                f"operator {op_type!r} in the custom domain {domain!r}: running the model "
                "needs a custom-operator library, native code from outside the model",
                offset=offset,
                advice="Run it only with a custom-operator library that you built or trust, "
                "and only after scanning or reviewing that library's source.",
            )


def escapes_folder(location: str) -> bool:
    """Whether an external-data location is absolute or climbs above the model's folder."""
    if _WINDOWS_ABSOLUTE.match(location) or "\x00" in location:
        return True
    normal = posixpath.normpath(location.replace("\\", "/"))
    return normal == ".." or normal.startswith("../")


def scan_onnx(ctx: ScanContext, buf: Buffer) -> str:
    """Walk the model's graphs, functions and training graphs. Returns the format name."""
    try:
        _OnnxWalk(ctx, buf).model()
    except ProtobufError as exc:
        ctx.malformed(f"not a valid ONNX protobuf: {exc}")
    return "onnx"
