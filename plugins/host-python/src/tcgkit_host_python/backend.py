"""The ``python`` host backend: compile, place, run and locate Python TBs.

Owns ``PythonHost``. Compilation turns a TB's IR into a code object and makes
a function bound to its TB. On CPython 3.11 the code object is assembled
directly (``lower``, ``bytecode``); elsewhere, or with
``TCGKIT_PYTHON_HOST_SOURCE=1``, the IR becomes Python source (``codegen``)
compiled by ``compile()`` (identical sources share one code object, kept in a
bounded per-emulator cache): the reference form, several times slower to make.
The bytecode (or the marshalled code object) is copied into the TB's
code-buffer region, so that the region allocator accounts for Python code as
it does for machine code and a full buffer flushes the TB cache the same way.

Chaining: a goto_tb exit returns its slot; ``execute`` follows
``tb.jmp_dest[slot]`` without going back to the loop (the Python form of a
patched direct jump), and after an indirect jump (EXIT_LOOKUP) takes the next
TB from the jump cache (``CPU.lookup_tb_ptr``), until an exit that needs the
loop or an exit request.

Locating: every generated function has the fixed file name
``<tcgkit-python-host>`` and its TB as the default of ``_tb``; a traceback
frame or a live frame of that file gives the TB, and its line number the
guest instruction (assembled code: ``lower.insn_of_line``; source:
``Generated.insn_lines``).
"""

from __future__ import annotations

import bisect
import marshal
import os
import sys
import types
from collections import OrderedDict
from collections.abc import Mapping, MutableSequence
from typing import TYPE_CHECKING, Any

from tcgkit.exec.cpu import CPU
from tcgkit.exec.tb import TB
from tcgkit.host import Alloc, HostBackend
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.semantics import SHA_NAMES

if TYPE_CHECKING:
    from .lower import Made

FILENAME = "<tcgkit-python-host>"
CODE_CACHE_SIZE = 4096


class PythonHost(HostBackend):
    """Portable host: TBs become Python functions (runs anywhere; the reference)."""

    name = "python"
    needs_executable_buffer = False
    #: one call of the reference each (``codegen``); the atomic ops are helper calls here
    optional_ops = frozenset({"aese_i64", "aesd_i64", "aesmc_i64", "aesimc_i64", "clmul_i64",
                              *(f"{name}_i64" for name in SHA_NAMES),
                              "fnan2_f32", "fnan2_f64", "fnan3_f32", "fnan3_f64"})  # fmt: skip

    computes_fp_flags = True  # float ops through ``fpflags.flagged`` (``codegen``)

    @classmethod
    def native_here(cls) -> bool:
        return True

    @classmethod
    def features(cls) -> Mapping[str, bool]:
        return {}

    def __init__(self) -> None:
        # here, not at import: discovery needs the class alone
        from .bytecode import SUPPORTED
        from .codegen import generate
        from .lower import Made, assemble, insn_of_line

        self._generate = generate
        self._assemble = assemble
        self._made_for = Made
        #: what the assembled code of all TBs shares (``lower.Made``), by the state slot
        #: of the float flags
        self._made: dict[int, Made] = {}
        self._insn_of_line = insn_of_line
        #: whether TBs are assembled as bytecode (else compiled from source)
        self.assembles = SUPPORTED and os.environ.get("TCGKIT_PYTHON_HOST_SOURCE", "") in ("", "0")
        # source -> (code object, insn lines, bindings); bounded, per emulator
        self._code_cache: OrderedDict[str, tuple[types.CodeType, list[int], dict[str, Any]]] = (
            OrderedDict()
        )
        self._lines: dict[types.CodeType, list[int]] = {}
        self.sources: dict[int, str] = {}

    def new_state(self, nslots: int) -> MutableSequence[int]:
        return [0] * nslots

    def compile(self, ctx: TCGContext, tb: TB, alloc: Alloc) -> None:
        fp = ctx.fp_flags_offset
        # (an instance told not to compute them gets the engine's helper calls: tests)
        fp_slot = fp >> 3 if fp >= 0 and self.computes_fp_flags else -1
        if self.assembles:
            made = self._made.get(fp_slot)
            if made is None:
                made = self._made[fp_slot] = self._made_for(fp_slot)
            code, blob = self._assemble(ctx.ops, FILENAME, made)
            self._install(tb, code, blob, {}, alloc)
            return
        gen = self._generate(ctx.ops, fp_slot=fp_slot)
        cached = self._code_cache.get(gen.source)
        if cached is None:
            module = compile(gen.source, FILENAME, "exec")
            code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
            cached = (code, gen.insn_lines, gen.bindings)
            self._code_cache[gen.source] = cached
            self._lines[code] = gen.insn_lines
            if len(self._code_cache) > CODE_CACHE_SIZE:
                _, (old, _, _) = self._code_cache.popitem(last=False)
                self._lines.pop(old, None)
        else:
            self._code_cache.move_to_end(gen.source)
        code, _, bindings = cached
        self._install(tb, code, marshal.dumps(code), bindings, alloc)

    @staticmethod
    def _install(tb: TB, code: types.CodeType, blob: bytes, bindings: dict[str, Any],
                 alloc: Alloc) -> None:  # fmt: skip
        """``tb``'s function: ``code`` with ``bindings`` as its globals, ``blob`` in the
        code buffer."""
        region, addr = alloc(len(blob))
        region.write(addr, blob)
        tb.host = types.FunctionType(code, {"__builtins__": __builtins__, **bindings},
                                     "tb", (tb,))  # fmt: skip
        tb.host_size = len(blob)
        tb.region = region.index

    def execute(self, cpu: CPU, tb: TB) -> tuple[TB, int]:
        s = cpu.state
        icount = 0
        try:
            while True:
                r = tb.host(s, cpu, tb)
                icount += tb.icount
                if r > 1:
                    # an indirect jump: look the next TB up here, as generated code
                    # does in QEMU (lookup_and_goto_ptr), not in the loop
                    nxt = None if cpu.exit_request or r != EXIT_LOOKUP else cpu.lookup_tb_ptr()
                    if nxt is None:
                        return tb, r
                    tb = nxt
                    continue
                nxt = tb.jmp_dest[r]  # type: ignore[index]  # compiled: it has jmp_dest
                if nxt is None or cpu.exit_request:
                    return tb, r
                tb = nxt
        finally:
            cpu.icount += icount

    def _where(self, frame: types.FrameType, lineno: int) -> tuple[TB, int] | None:
        tb = frame.f_locals.get("_tb")
        if not isinstance(tb, TB):
            return None
        if self.assembles:
            return tb, self._insn_of_line(lineno, tb.icount)
        lines = self._lines.get(frame.f_code)
        if lines is None:
            return None
        return tb, max(bisect.bisect_right(lines, lineno) - 1, 0)

    def locate(self, exc: BaseException) -> tuple[TB, int] | None:
        found = None
        tb_ = exc.__traceback__
        while tb_ is not None:
            if tb_.tb_frame.f_code.co_filename == FILENAME:
                found = self._where(tb_.tb_frame, tb_.tb_lineno)
            tb_ = tb_.tb_next
        return found

    def current_insn(self) -> tuple[TB, int] | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == FILENAME:
                return self._where(frame, frame.f_lineno)
            frame = frame.f_back
        return None

    def disassemble(self, tb: TB) -> str:
        code = tb.host.__code__ if tb.host is not None else None
        if self.assembles and code is not None:
            import dis

            return dis.Bytecode(code).dis()
        for source, (c, _, _) in self._code_cache.items():
            if c is code:
                return source
        return f"<python code object, {tb.host_size} bytes marshalled>"

    def release(self) -> None:
        self._made.clear()
        self._code_cache.clear()
        self._lines.clear()
