"""The state of translating one TB: ``DisasContext`` and ``DisasJump``.

Owns what the core's translator loop and a target's decoder share while one
TB is translated (QEMU's DisasContextBase): the context ops go into, the pc of
the next instruction, how the TB ends, the instruction count, the code
fetch with its read-ahead window, and the per-instruction loop of the
translator (``run``; the core's ``translator_loop`` sets it up). Exported to
target plugins by ``tcgkit.target``; it lives here because the compiled
translator builds one per TB and the decoder reads it per instruction.

Invariant of the fetch window: ``_window`` holds the code bytes from
``_window_at`` up to at most the next 4 KiB boundary (and at most ``_WINDOW``
bytes unless one fetch needs more), read once through
``read_ahead`` (which raises the memory API's ``MemoryAccessError`` and fires
no hook); when a fetch is not inside it, the window is read again at the pc,
and when that read fails the fetch goes through ``fetch_code``, so that a
fault is raised (hooks fired, pc named) exactly as without the window.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, Final, Protocol

from ..errors import EmulationError, InvalidInstructionError, MemoryAccessError
from .context import TCGContext
from .ir import Op
from .types import I64

#: bytes read ahead at most: a TB is a few instructions long on average, and the
#: window is read again for every TB
_WINDOW: Final = 256


class _Decoder(Protocol):
    """What ``DisasContext.run`` needs of a guest target."""

    @property
    def name(self) -> str: ...

    def translate_insn(self, dc: DisasContext) -> None: ...


class DisasJump(IntEnum):
    NEXT = 0  # go on with the next instruction
    TOO_MANY = 1  # the core ends the TB here; tb_stop emits the exit to dc.pc
    NORETURN = 2  # the target emitted the TB's exits itself


class DisasContext:
    """Translation state of one TB. Its attributes are fixed (slots, compiled or not):
    a target keeps its own per-TB state in ``extra``."""

    __slots__ = ("_window", "_window_at", "cs_base", "ctx", "extra", "fetch_code", "flags",
                 "host_ops", "insn_hooked", "insn_start_pc", "is_jmp", "max_insns",
                 "num_insns", "op_hooked", "parallel", "pc", "pc_first", "read_ahead")  # fmt: skip

    def __init__(self, ctx: TCGContext, pc_first: int, pc: int, flags: int, cs_base: int,
                 max_insns: int, fetch_code: Callable[[int, int], bytes], *,
                 parallel: bool = False, host_ops: frozenset[str] = frozenset(),
                 read_ahead: Callable[[int, int], bytes] | None = None) -> None:  # fmt: skip
        self.ctx = ctx
        self.pc_first = pc_first
        self.pc = pc  # address of the next instruction to decode
        self.flags = flags
        self.cs_base = cs_base
        self.max_insns = max_insns
        self.fetch_code = fetch_code
        self.is_jmp = DisasJump.NEXT
        self.num_insns = 0
        self.insn_start_pc = 0  # address of the instruction being translated
        self.extra: dict[str, Any] = {}  # target scratch
        #: other vCPUs may run while this TB does (``CF_PARALLEL``): translate atomic
        #: instructions with ``tcgkit.exec.atomic``, not as a plain load and store
        self.parallel = parallel
        #: the optional IR ops the host lowers (``HostBackend.optional_ops``)
        self.host_ops = host_ops
        #: reads code without hooks or guest errors, so that ``fetch`` can read
        #: ahead; None: every fetch goes through ``fetch_code``
        self.read_ahead = read_ahead
        #: whether a HOOK_INSN hook covers an address (None: there is none): a target
        #: emits its instruction hooks' call where this says so
        self.insn_hooked: Callable[[int], bool] | None = None
        #: whether a HOOK_TCG_OPCODE hook covers an address (None: there is none): see
        #: ``tcgkit.target.gen_op_hook``
        self.op_hooked: Callable[[int], bool] | None = None
        self._window = b""
        self._window_at = 0

    def __repr__(self) -> str:
        return (f"DisasContext(pc_first={self.pc_first:#x}, pc={self.pc:#x}, "
                f"num_insns={self.num_insns}, is_jmp={self.is_jmp!r})")  # fmt: skip

    def fetch(self, size: int) -> bytes:
        """Read ``size`` bytes of code at ``self.pc`` and advance past them."""
        off = self._advance(size)
        return self._window[off : off + size]

    def fetch_le32(self) -> int:
        """Read the 32-bit little-endian word at ``self.pc`` and advance past it
        (``int.from_bytes(fetch(4), "little")`` without the bytes object)."""
        off = self._advance(4)
        w = self._window
        return w[off] | w[off + 1] << 8 | w[off + 2] << 16 | w[off + 3] << 24

    def _advance(self, size: int) -> int:
        """Make the window hold ``size`` bytes at ``self.pc``, advance the pc past them,
        and return their offset in the window."""
        pc = self.pc
        off = pc - self._window_at
        if off < 0 or off + size > len(self._window):
            self._read_ahead(pc, size)
            off = 0
        self.pc = pc + size
        return off

    def _read_ahead(self, pc: int, size: int) -> None:
        """The code from ``pc`` on (``_WINDOW`` bytes, less at a 4 KiB boundary, at
        least ``size``) in one read, or just ``size`` bytes through ``fetch_code``."""
        window = b""
        if self.read_ahead is not None:
            # not contextlib.suppress: a context manager of Python code for every TB
            try:  # noqa: SIM105
                window = self.read_ahead(pc, max(min((pc | 0xFFF) + 1 - pc, _WINDOW), size))
            except MemoryAccessError:  # fetch_code raises the guest's error below
                pass
        if len(window) < size:
            window = self.fetch_code(pc, size)
        self._window, self._window_at = window, pc

    def run(self, target: _Decoder, page_bits: int, until: int | None,
            code_hook: Callable[[int], Op | None] | None = None) -> list[int]:  # fmt: skip
        """Decode instructions with ``target.translate_insn`` until the TB ends; returns
        the guest pc of each instruction translated.

        Before each instruction an ``insn_start`` marker is emitted and, when
        ``code_hook`` is given, ``code_hook(pc)`` may emit the IR call of a hook; its
        second input becomes the instruction's size. The TB ends where the target ends
        it, after ``max_insns`` instructions, before an instruction on another page or
        at ``until`` (``is_jmp`` TOO_MANY), or before an instruction that cannot be
        fetched or decoded unless it is the first: the error then happens when
        execution gets there. Any other exception is a bug in the target, raised as an
        ``EmulationError`` naming the pc."""
        ctx = self.ctx
        ops = ctx.ops
        insn_pcs: list[int] = []
        page = self.pc_first >> page_bits
        translate_insn = target.translate_insn  # bound once: no method lookup per insn
        while True:
            mark = len(ops)
            start = self.pc
            self.insn_start_pc = start
            ctx.insn_start(start)
            hook_call = code_hook(start) if code_hook is not None else None
            try:
                translate_insn(self)
            except EmulationError:
                if not insn_pcs:
                    raise
                # stop short: the error happens when execution gets here
                del ops[mark:]
                self.pc = start
                self.is_jmp = DisasJump.TOO_MANY
                break
            except Exception as exc:  # a bug in the target: still name the guest pc
                raise EmulationError(
                    f"target {target.name!r} failed to translate the instruction: "
                    f"{type(exc).__name__}: {exc}",
                    pc=start,
                ) from exc
            if hook_call is not None:
                hook_call.replace_arg(1, ctx.const(I64, self.pc - start))
            insn_pcs.append(start)
            self.num_insns += 1
            if self.is_jmp is not DisasJump.NEXT:
                break
            pc = self.pc
            if self.num_insns >= self.max_insns or pc >> page_bits != page or pc == until:
                self.is_jmp = DisasJump.TOO_MANY
                break
        return insn_pcs

    def invalid(self, insn: int | bytes, reason: str = "") -> InvalidInstructionError:
        """The error to raise for an instruction the target does not implement."""
        return InvalidInstructionError(self.insn_start_pc, insn, reason)
