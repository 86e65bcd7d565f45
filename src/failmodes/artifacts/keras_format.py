"""Keras models: code hidden in the model's configuration.

A ``.keras`` file is a zip whose ``config.json`` describes the layers; a legacy ``.h5`` file
keeps the same description as JSON in the ``model_config`` attribute. Loading either runs
code in two ways: a ``Lambda`` layer carries marshalled Python bytecode (run by Keras 2, and
by Keras 3 with ``safe_mode=False``; CVE-2024-3660), and any object is named by ``module``
and ``class_name`` (or function name), which Keras imports (CVE-2025-1550 used
``keras.config.enable_unsafe_deserialization``). Module references are judged with the same
policy as pickle imports, plus the Keras namespace.

HDF5 is not parsed (no ``h5py`` needed): the scanner finds each JSON object stored as a
string in the file (a string attribute is kept as plain bytes, ended by a NUL) and decodes it
with :mod:`json`, which also undoes ``\\uXXXX`` escapes that would hide ``"Lambda"`` from a
plain byte search.
"""

from __future__ import annotations

import json
import re

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.limits import MiB
from failmodes.artifacts.results import FindingKind, Verdict

KERAS_ADVICE = (
    "Do not load it, and never with safe_mode=False. Ask the publisher for a model without "
    "Lambda layers or custom objects, or for its weights as safetensors."
)
_JSON_START = re.compile(rb'\{\s*"(?:[^"\\]|\\.){1,64}"\s*:')
_MAX_JSON = 16 * MiB
_MAX_NESTING = 10_000


def walk_config(ctx: ScanContext, config: object, offset: int | None = None) -> None:
    """Add findings for Lambda bytecode and for every module the config would import."""
    pending: list[object] = [config]
    visited = 0
    while pending:
        node = pending.pop()
        visited += 1
        if visited > _MAX_NESTING * 100:
            ctx.budget.check_time()
            visited = 0
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            pending.extend(node.values())
            _check_object(ctx, node, offset)


def _check_object(ctx: ScanContext, node: dict[object, object], offset: int | None) -> None:
    class_name = node.get("class_name")
    config = node.get("config")
    if class_name == "Lambda" and isinstance(config, dict):
        function = config.get("function")
        code = isinstance(function, list | tuple) and config.get("function_type") == "lambda"
        if isinstance(function, dict) and function.get("class_name") == "__lambda__":
            code = True
        if code:
            ctx.add(
                FindingKind.EXECUTABLE_CONFIG,
                Verdict.MALICIOUS,
                f"Lambda layer {config.get('name', '?')!r} carries marshalled Python bytecode "
                "that Keras runs when it loads the model (CVE-2024-3660; Keras 3 with "
                "safe_mode=False)",
                offset=offset,
                advice=KERAS_ADVICE,
            )
        elif isinstance(function, str) and isinstance(config.get("module"), str):
            _judge(ctx, str(config["module"]), function, offset)
    module = node.get("module")
    if isinstance(module, str) and isinstance(class_name, str):
        name = config if class_name == "function" and isinstance(config, str) else class_name
        _judge(ctx, module, name, offset)


def _judge(ctx: ScanContext, module: str, name: str, offset: int | None) -> None:
    judged = ctx.policy.judge_keras(module, name)
    if judged.verdict is Verdict.SAFE:
        return
    ctx.add(
        FindingKind.DANGEROUS_CALLABLE
        if judged.verdict is Verdict.MALICIOUS
        else FindingKind.CUSTOM_CODE,
        judged.verdict,
        f"the configuration names `{module}.{name}`, which Keras imports on load: {judged.reason}",
        offset=offset,
        callable_name=f"{module}.{name}",
        advice=KERAS_ADVICE,
    )


def scan_keras_config(ctx: ScanContext, data: bytes) -> None:
    """Check the ``config.json`` of a ``.keras`` archive."""
    try:
        config = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        ctx.malformed(f"config.json is not valid JSON: {exc}")
        return
    walk_config(ctx, config)


def scan_hdf5(ctx: ScanContext, buf: Buffer) -> str:
    """Find the JSON configurations stored in an HDF5 file and check each one."""
    decoder = json.JSONDecoder()
    pos = 0
    configs = 0
    while True:
        pos = buf.find(b"{", pos)
        if pos < 0:
            break
        if not _JSON_START.match(buf[pos : pos + 80]):
            pos += 1
            continue
        ctx.budget.check_time()
        stop = buf.find(b"\x00", pos, pos + _MAX_JSON)
        window = buf[pos : stop if stop >= 0 else pos + _MAX_JSON]
        ctx.budget.charge(len(window))
        try:
            value, used = decoder.raw_decode(window.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError):
            pos += 1
            continue
        if isinstance(value, dict):
            configs += 1
            walk_config(ctx, value, pos)
        pos += max(used, 1)
    return "hdf5 (keras)" if configs else "hdf5"
