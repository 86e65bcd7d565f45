"""What loading a pickle would import and call: its globals resolved, judged and reported.

:class:`PickleRun` is the pickle machine with the opcodes that reach outside the stream:

* it resolves every ``GLOBAL``, ``INST`` and ``STACK_GLOBAL``, including module and name
  strings stored with ``PUT``/``MEMOIZE`` and fetched back with ``GET``/``BINGET``/
  ``LONG_BINGET`` (the memo trick that hides an import from scanners that only look at the
  previous opcodes), and judges each with the catalog's :class:`~failmodes.artifacts.policy.
  CallablePolicy`;
* it flags an import whose module or name is not a constant string (a missing memo entry, an
  integer, the result of another import): real picklers never write one, so it is treated as
  an attempt to hide the target;
* it sees ``BUILD`` applied to an imported module or class, which overwrites its attributes;
* it scans payloads that an allowed callable deserializes in turn
  (``torch.storage._load_from_bytes``), judges the target of callables that import by name
  (``numpy.core._ufunc_reconstruct``), and follows joblib's array wrappers
  (:mod:`~failmodes.artifacts.joblib_arrays`).

:meth:`PickleRun.report` turns what was seen into findings, one per import written.
"""

from __future__ import annotations

import pickletools
from dataclasses import dataclass

from failmodes.artifacts.context import ScanContext
from failmodes.artifacts.joblib_arrays import Malformed, skip_array
from failmodes.artifacts.opcode_walk import walk
from failmodes.artifacts.pickle_machine import BufferReader, PickleMachine
from failmodes.artifacts.pickle_values import (
    UNKNOWN,
    Call,
    Const,
    Global,
    TupleValue,
    constant,
    describe,
)
from failmodes.artifacts.policy import canonical
from failmodes.artifacts.results import FindingKind, Verdict

_LATIN1 = frozenset({"latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1"})


@dataclass
class StreamSummary:
    """What the scan of a pickle stream saw, for naming the format."""

    pickles: int = 0
    joblib_arrays: int = 0
    torch_legacy: bool = False


class PickleRun(PickleMachine):
    """Replays one pickle (up to its STOP), recording and judging what it imports."""

    def __init__(self, ctx: ScanContext, reader: BufferReader, summary: StreamSummary) -> None:
        super().__init__(ctx, reader)
        self.summary = summary
        self.imports: list[Global] = []
        self.handlers.update(
            {
                "GLOBAL": self._op_global,
                "INST": self._op_inst,
                "STACK_GLOBAL": self._op_stack_global,
                "REDUCE": self._op_reduce,
                "NEWOBJ": self._op_newobj,
                "NEWOBJ_EX": self._op_newobj_ex,
                "OBJ": self._op_obj,
                "BUILD": self._op_build,
                "EXT1": self._op_ext,
                "EXT2": self._op_ext,
                "EXT4": self._op_ext,
            }
        )

    # -- imports

    def _import(self, module: object, name: object, offset: int, how: str) -> object:
        if isinstance(module, Const) and isinstance(name, Const):
            mod, nam = module.value, name.value
            if isinstance(mod, str) and isinstance(nam, str):
                return self._record(mod, nam, offset, how)
        self.ctx.add(
            FindingKind.OBFUSCATED_IMPORT,
            Verdict.MALICIOUS,
            f"{how} takes its module and name from {describe(module)} and "
            f"{describe(name)}, not from constant strings: picklers never write this; it "
            "hides what loading the file imports",
            offset=offset,
        )
        return UNKNOWN

    def _record(self, module: str, name: str, offset: int, how: str) -> Global:
        judged = self.ctx.policy.judge(*canonical(module, name))
        found = Global(module, name, offset, judged, how)
        self.imports.append(found)
        return found

    def _op_global(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        module, _, name = str(arg).partition(" ")
        self.stack.append(self._record(module, name, offset, "GLOBAL"))

    def _op_inst(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        module, _, name = str(arg).partition(" ")
        args = self.pop_mark(offset)
        target = self._record(module, name, offset, "INST")
        target.uses.add("INST")
        self.stack.append(Call(target, TupleValue(tuple(args))))

    def _op_stack_global(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        name = self.pop(offset)
        module = self.pop(offset)
        self.stack.append(self._import(module, name, offset, "STACK_GLOBAL"))

    def _op_ext(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.ctx.add(
            FindingKind.OBFUSCATED_IMPORT,
            Verdict.MALICIOUS,
            f"{opcode.name} imports the callable registered as extension code {arg} with "
            "copyreg; no model library registers one, and the target cannot be read from "
            "the file",
            offset=offset,
        )
        self.stack.append(UNKNOWN)

    # -- calls

    def _called(self, callee: object, args: object, offset: int, how: str) -> object:
        if isinstance(callee, Global):
            callee.uses.add(how)
            return self._special_call(callee, args, offset)
        return Call(callee, args)

    def _special_call(self, callee: Global, args: object, offset: int) -> object:
        full = callee.canonical_name
        items = args.items if isinstance(args, TupleValue) else ()
        policy = self.ctx.policy
        if full == "_codecs.encode" and len(items) == 2:
            text, encoding = items
            if (
                isinstance(text, Const)
                and isinstance(text.value, str)
                and isinstance(encoding, Const)
                and str(encoding.value).lower() in _LATIN1
            ):
                try:
                    return Const(text.value.encode("latin-1"))
                except UnicodeEncodeError:
                    return UNKNOWN
        if full in policy.importers:
            if len(items) == 2:
                return self._import(items[0], items[1], offset, f"{full}()")
            self._import(UNKNOWN, UNKNOWN, offset, f"{full}()")
        if full in policy.nested_payload:
            payload = constant(items[0]) if items else None
            if isinstance(payload, bytes):
                self.ctx.nested(payload, f"<payload of {full} at byte {offset}>")
            else:
                self.ctx.add(
                    FindingKind.OBFUSCATED_IMPORT,
                    Verdict.SUSPICIOUS,
                    f"{full} deserializes a payload that is built at load time, so the "
                    "scanner cannot read it",
                    offset=offset,
                    callable_name=full,
                )
        return Call(callee, args)

    def _op_reduce(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        args = self.pop(offset)
        callee = self.pop(offset)
        self.stack.append(self._called(callee, args, offset, "REDUCE"))

    def _op_newobj(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        args = self.pop(offset)
        cls = self.pop(offset)
        self.stack.append(self._called(cls, args, offset, "NEWOBJ"))

    def _op_newobj_ex(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.pop(offset)  # kwargs
        args = self.pop(offset)
        cls = self.pop(offset)
        self.stack.append(self._called(cls, args, offset, "NEWOBJ_EX"))

    def _op_obj(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = self.pop_mark(offset)
        cls = items[0] if items else UNKNOWN
        self.stack.append(self._called(cls, TupleValue(tuple(items[1:])), offset, "OBJ"))

    def _op_build(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        state = self.pop(offset)
        target = self.stack[-1] if self.stack else UNKNOWN
        if isinstance(target, Global):
            self.ctx.add(
                FindingKind.GLOBAL_MUTATION,
                Verdict.MALICIOUS,
                f"BUILD sets attributes on the imported `{target.module}.{target.name}` "
                "itself: the file overwrites module or class state at load time (the "
                "sys.modules override trick)",
                offset=offset,
                callable_name=f"{target.module}.{target.name}",
            )
        elif isinstance(target, Call):
            target.state = state
            callee = target.callee
            if (
                isinstance(callee, Global)
                and callee.canonical_name in self.ctx.policy.joblib_array_wrappers
            ):
                self._follow_joblib_array(state, offset)

    def _follow_joblib_array(self, state: object, offset: int) -> None:
        """Read past the array bytes joblib wrote after this wrapper, as ``joblib.load`` does."""
        self.summary.joblib_arrays += 1
        if not skip_array(self.reader, state, offset):  # an object array: a nested pickle
            _, error = replay(self.ctx, self.reader, self.summary)
            if error is not None:
                raise Malformed(f"the object array after byte {offset}: {error}")

    # -- findings

    def report(self) -> None:
        """Add findings for the imports that are not safe and for broken machine rules."""
        seen: dict[str, list[Global]] = {}
        for found in self.imports:
            seen.setdefault(f"{found.module}.{found.name}", []).append(found)
        for written, sites in seen.items():
            first = sites[0]
            judged = first.judgement
            if judged.verdict is Verdict.SAFE:
                continue
            uses = sorted(set().union(*(s.uses for s in sites)))
            shown = f"`{written}`"
            if first.canonical_name != written:
                shown += f" (Python 3: `{first.canonical_name}`)"
            how = f"calls it ({', '.join(uses)})" if uses else "does not call it directly"
            times = f", {len(sites)} times" if len(sites) > 1 else ""
            kind = (
                FindingKind.DANGEROUS_CALLABLE
                if judged.verdict is Verdict.MALICIOUS
                else FindingKind.UNLISTED_CALLABLE
            )
            self.ctx.add(
                kind,
                judged.verdict,
                f"loading imports {shown} ({first.via}{times}) and {how}: {judged.reason}",
                offset=first.offset,
                callable_name=first.canonical_name,
                advice=self.ctx.advice
                if judged.verdict is Verdict.MALICIOUS
                else f"{self.ctx.advice} If you trust the publisher and `{first.canonical_name}` "
                "belongs to your stack, add it to `artifact_policy.allow` in your catalog "
                "overlay.",
            )
        if self.problems:
            offset, problem = self.problems[0]
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            self.ctx.malformed(
                f"the pickle breaks the unpickler's rules: {problem}{more}; a loader stops "
                "with an error here, after running everything before",
                offset=offset,
            )


def replay(
    ctx: ScanContext, reader: BufferReader, summary: StreamSummary
) -> tuple[PickleRun, str | None]:
    """Replay the pickle at the reader's position and report it: (the run, its error)."""
    run = PickleRun(ctx, reader, summary)
    try:
        error = walk(run)
    except Malformed as exc:
        error = str(exc)
    run.report()
    return run, error
