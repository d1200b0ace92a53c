"""One passage through generated code: what ``NativeHost.execute`` does, compiled.

Owns ``execute(host, cpu, tb)``: enter ``tb``'s code through the host's prologue,
follow the TBs the jump cache finds after each lookup exit (filling the native
jump cache with them), and return ``(last TB, exit)`` at the first exit the
execution loop must see; the guest instructions counted by generated code are
added to ``cpu.icount`` however the passage ends. Compiled by mypyc with the
translator (``hatch_build``): every return from generated code to Python comes
through here (manyfuncs.elf: 12,000 passages, 18,000 host instructions each
when this was interpreted Python).

It reads the host's private execution state (the native blocks by state
address, the prologue's entry, the TB table by id, the calling thread's
pending exception) and changes none of it but the native jump cache, the
icount word, the ``until`` word, the float-flag image (folded into the target's
word by the host's ``fold_fp_flags``) and, where generated code looks TBs up itself
(``tb_mirror``), the TB-key words of the vCPU's current CPU mode (the probed
flag bits, cs_base, flags | cflags << 32; never valid for flags or cflags
wider than 32 bits), as the host's own methods would. What of
it does not change between passages is read once per vCPU into a ``Passage``
(kept on ``CPU.passage``; the host drops it when it binds its runtime again).
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Final

from ..exec.cpu import word_view
from ..exec.jmp_cache import jmp_cache_index, lookup
from ..tcg.ops import EXIT_LOOKUP, EXIT_REQUESTED
from . import layout as L
from .code import NativeCode

if TYPE_CHECKING:
    from ..exec.cpu import CPU
    from ..exec.tb import TB

_SHIFT: Final = L.EXIT_SHIFT
_REASON: Final = (1 << L.EXIT_SHIFT) - 1
_RAISED: Final = L.EXIT_HELPER_RAISED
_AT_ENTRY: Final = L.EXIT_AT_ENTRY
#: the icount word's index in a native block's control words
_ICOUNT: Final = (L.OFF_ICOUNT + L.CONTROL_SIZE) // 8
_NL_SEEN: Final = L.NL_SEEN // 8
_NL_CS_BASE: Final = L.NL_CS_BASE // 8
_NL_FLAGS: Final = L.NL_FLAGS // 8
_INVALID: Final = L.INVALID_TAG
_M64: Final = (1 << 64) - 1


class Passage:
    """What every passage of one vCPU through one host's code reads and no passage
    changes: made on the vCPU's first passage and kept on it (``CPU.passage``) until
    the host binds its runtime again (``NativeHost.bind_runtime`` drops it), so that
    a passage reads it natively instead of looking the host's fields up each time."""

    __slots__ = ("control", "entry", "fill", "fp", "fp_mask", "host", "jc", "native", "nl",
                 "nl_key", "probe", "state", "tbs", "thread", "words")  # fmt: skip

    def __init__(self, host: Any, cpu: CPU) -> None:
        self.host = host
        self.state: int = ctypes.addressof(cpu.state)  # type: ignore[arg-type]
        self.words = cpu.words
        native = host._natives[self.state]
        self.native: Any = native
        # the native block's words through memoryviews (``word_view``), not its ctypes
        # arrays: an item costs a third
        self.control = word_view(native.control)
        self.jc = word_view(native.jc)
        self.entry: Any = host._entry.entry
        self.tbs: list[TB] = host._tbs
        self.thread: Any = host._thread
        self.fill: bool = host._jc_enabled
        self.probe: tuple[int, int] | None = host._rt.flags_probe if self.fill else None
        #: the native-lookup words (None: goto_ptr's misses exit to Python) and the key
        #: words last written there
        self.nl: Any = word_view(native.nl) if native.nl[L.NL_FN // 8] else None
        self.nl_key: tuple[int, int, int] = (-1, -1, -1)
        #: the float-flag image word generated code saves at exits, and its flag bits
        #: (0: the host keeps no flags there)
        self.fp = word_view(native.fp)
        self.fp_mask: int = host.fp_flag_mask


def execute(host: Any, cpu: CPU, tb: TB) -> tuple[TB, int]:
    """``NativeHost.execute`` (see the module docstring)."""
    p: Passage | None = cpu.passage
    if p is None or p.host is not host:
        p = cpu.passage = Passage(host, cpu)
    native = p.native
    until = cpu.until
    if until != native.until:
        native.set_until(until)
        native.jc_clear()
    if p.nl is not None:
        _key_words(p, cpu)
    control = p.control
    try:
        return _follow(p, cpu, tb)
    finally:
        cpu.icount += control[_ICOUNT]
        control[_ICOUNT] = 0
        if p.fp[0] & p.fp_mask:  # the float flags generated code kept (``fold_fp_flags``)
            p.host.fold_fp_flags(cpu, native)


def _key_words(p: Passage, cpu: CPU) -> None:
    """The TB-key words of ``cpu``'s current CPU mode, for the native lookup."""
    cs_base, flags = cpu.tb_flags()
    cflags: int = cpu.engine.cflags_base
    probe = p.probe
    seen: int = 0 if probe is None else p.words[probe[0] // 8] & probe[1]
    if flags >> 32 or cflags >> 32 or flags < 0 or cs_base < 0:
        seen = _INVALID  # a key the mirror cannot hold: every native lookup misses
    key = (seen, cs_base, flags | cflags << 32)
    if key != p.nl_key:
        nl = p.nl
        nl[_NL_CS_BASE] = cs_base & _M64
        nl[_NL_FLAGS] = key[2] & _M64
        nl[_NL_SEEN] = seen
        p.nl_key = key


def _follow(p: Passage, cpu: CPU, tb: TB) -> tuple[TB, int]:
    entry = p.entry
    state = p.state
    tbs = p.tbs
    exit_flag = cpu.exit_flag
    fill = p.fill
    probe = p.probe
    st = p.words
    jc = p.jc
    # a native host's TBs hold NativeCode (compiled with this module: its fields are
    # read natively once the type is known)
    code_of: NativeCode = tb.host
    code: int = code_of.nocheck
    while True:
        word: int = entry(state, code)
        last = tbs[word >> _SHIFT]
        reason = word & _REASON
        if reason == _RAISED:
            t = p.thread
            exc, t.pending = t.pending, None
            assert exc is not None
            where = t.pending_where
            if where is not None:
                cpu.icount -= where[0].icount  # the loop counts the ones before it
            t.raised_at = (exc, where)
            raise exc
        if reason == _AT_ENTRY:
            cpu.pc = last.pc
            return last, EXIT_REQUESTED
        if reason != EXIT_LOOKUP or exit_flag[0]:
            return last, reason
        nxt = lookup(cpu, False)
        if nxt is None:
            return last, reason
        pc = nxt.pc
        code_of = nxt.host
        target = code_of.entry
        if fill:  # NativeCPU.jc_set, inline: the pc word last (generated code tests it)
            i = jmp_cache_index(pc) * 4
            jc[i + 2] = target
            jc[i + 1] = 0 if probe is None else st[probe[0] // 8] & probe[1]
            jc[i] = pc
        code = code_of.nocheck
