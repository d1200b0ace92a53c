"""The register allocator native backends share (local, in the manner of QEMU's tcg.c).

Owns ``allocate``: it walks one TB's ops once, after liveness, and produces
the instruction stream a host emitter encodes: the ops with a host register
(or an immediate) for every operand, and the moves, constant loads, loads
and stores between registers and the CPU state or the stack frame that the
assignment needs. A backend describes itself as data: its ``RegisterFile``
(names, allocation order, registers calls clobber) and, per op, an
``OpConstraint`` (QEMU's constraint letters, reduced to what tcgkit's
backends need).

Constraint letters, per operand:
* ``r``  any allocatable register;
* ``ri`` a register, or a constant when ``Backend.imm_ok`` accepts it;
* ``rI`` a register, or any constant (the host takes every value of the width);
* ``re`` a register, or a constant that a sign-extended 32-bit field holds
  (x86-64's imm32); ``rI`` and ``re`` spare the allocator the call to ``imm_ok``;
* ``0``..``9`` (outputs only) the register of input k: two-address forms;
* ``&r`` (outputs only) a register distinct from every input (early clobber:
  the lowering writes it before it has read all inputs); a plain ``r`` output
  may share the register of an input that dies at the op;
* a register name (``rcx``): exactly that register (shift counts, divisions,
  call arguments and results).
``clobbers`` names registers the op destroys beyond its outputs.

Invariants (what the emitter may rely on):

* a register holds at most one value at a time, and a value is in at most
  one register; a value that is needed again is never left only in a
  register that an op clobbers;
* globals live in the CPU state (``home`` = its offset); within a basic block
  a global may be cached in a register and be *dirty*; every dirty global is
  stored back before an exit, a goto_tb (a linked one leaves the TB), a
  branch, a label, a guest memory access (it may fault) and a helper that
  may read globals; after a helper that may
  write globals, cached copies are dropped;
* TB-scoped temps get a stack slot and are stored there at basic-block ends;
  BB-scoped temps die at the end of their block;
* at a label every value is in memory and no register is assigned;
* moves (``mov``/``movi``) never reach the emitter as ops: they become a
  ``movi`` or ``mov`` element, a ``store`` of the input to the home of a global
  that nothing reads before the block ends (``liveness.SYNC_ONLY``), or nothing
  when the input dies and hands its register to the output; hosts keep i32
  values zero-extended in 64-bit registers, so a full-width register move copies
  an i32 correctly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, Protocol

from .ir import Helper, Op, Temp, TempKind
from .liveness import SYNC_ONLY
from .ops import OpFlag, by_index
from .types import I32, CallFlags


class RegisterFile:
    """A host's registers (the records of this module are plain classes, not
    dataclasses: a dataclass costs ~0.5 ms of every process's start-up)."""

    __slots__ = ("call_clobbered", "call_clobbered_mask", "names", "no_temps", "order",
                 "order_mask")  # fmt: skip

    def __init__(self, names: tuple[str, ...], order: tuple[int, ...],
                 call_clobbered: frozenset[int]) -> None:  # fmt: skip
        self.names = names  # register number -> name
        self.order = order  # allocatable registers, most preferred first
        self.call_clobbered = call_clobbered
        # what every TB's allocation starts from, made once
        self.call_clobbered_mask = sum(1 << r for r in call_clobbered)
        self.order_mask = sum(1 << r for r in set(order))
        self.no_temps: tuple[None, ...] = (None,) * len(names)  # no register holds a temp

    def number(self, name: str) -> int:
        return self.names.index(name)


class OpConstraint:
    """An op's register constraint (letters per output and input, clobbered
    registers); equal to another with the same three."""

    __slots__ = ("clobbers", "ins", "outs")

    def __init__(self, outs: tuple[str, ...], ins: tuple[str, ...],
                 clobbers: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.outs = outs
        self.ins = ins
        self.clobbers = clobbers

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpConstraint):
            return NotImplemented
        return self.outs == other.outs and self.ins == other.ins and self.clobbers == other.clobbers

    def __hash__(self) -> int:
        return hash((self.outs, self.ins, self.clobbers))

    def __repr__(self) -> str:
        return f"OpConstraint(outs={self.outs}, ins={self.ins}, clobbers={self.clobbers})"


def call_constraint(op: Op, arg_regs: tuple[str, ...]) -> OpConstraint:
    """A helper call's constraint: its inputs in the host's argument registers
    ``arg_regs`` (after the CPU-state pointer), its output anywhere."""
    n = op.n_in
    if n > len(arg_regs):
        raise ValueError(f"helper {op.consts[0].name!r}: at most {len(arg_regs)} arguments")
    return _call_constraint(op.n_out, arg_regs[:n])


@functools.lru_cache(maxsize=256)
def _call_constraint(n_out: int, ins: tuple[str, ...]) -> OpConstraint:
    return OpConstraint(("r",) * n_out, ins)  # one object per shape: parsed once


class Backend(Protocol):
    """What ``allocate`` needs of a host. A backend may also offer ``parsed``, an
    empty dict the allocator keeps its parsed constraints in across TBs."""

    regs: RegisterFile

    def constraint(self, op: Op) -> OpConstraint: ...

    def imm_ok(self, op: Op, index: int, value: int) -> bool: ...


class Const:
    """A constant input encoded as an immediate (compared by identity: the
    allocator tests ``r in in_ops`` against register numbers for every input)."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Const({self.value:#x})"


#: One element of the allocated stream: a tuple whose first item is its kind.
#:
#: * ``("op", op, outs, ins)``: ``op`` with ``outs`` (registers) and ``ins``
#:   (registers or ``Const``);
#: * ``("mov", dst, src)``: register ``dst`` <- register ``src``;
#: * ``("movi", dst, value)``: register ``dst`` <- ``value``;
#: * ``("load", dst, temp, slot)`` / ``("store", src, temp, slot)``: a register
#:   <-> the memory home of ``temp`` (a global's state offset when ``slot`` is
#:   negative, else the stack slot at ``slot``).
#:
#: A tuple rather than a class: a host backend is compiled apart from the core,
#: and reads a tuple's items natively where each attribute of a core object would
#: be a generic lookup (~4 per op, 1-2 % of a run translating cold code).
Insn = tuple[Any, ...]

OP: Final = "op"
MOV: Final = "mov"
MOVI: Final = "movi"
LOAD: Final = "load"
STORE: Final = "store"


def describe(i: Insn) -> tuple[str, str]:
    """``(kind, what)`` of a stream element for tests and dumps: the op's name, or the
    name of the temp a load or store moves (empty for a mov or movi)."""
    if i[0] == OP:
        return OP, i[1].opc
    if i[0] in (LOAD, STORE):
        return i[0], i[2].name
    return i[0], ""


class Allocation:
    """``allocate``'s result: the allocated instructions and the frame they use."""

    __slots__ = ("frame_size", "insns", "slots")

    def __init__(self, insns: list[Insn], frame_size: int, slots: dict[Temp, int]) -> None:
        self.insns = insns
        self.frame_size = frame_size  # bytes of stack slots used for TB-scoped temps, spills
        self.slots = slots  # temp -> frame offset


class _State:
    """The allocator's bookkeeping for one TB. Where a value is, by the temp's index
    (``reg_of``, a list: the TB's temps and the globals are numbered densely) or, for
    a constant (index -1), in ``cregs`` while an op holds it in a register; a temp has
    a register exactly when that register's ``temp_in`` entry is it. ``dirty`` is a
    mask of registers whose value is newer than its temp's memory home. (No state on
    the temps themselves: the globals are shared by every vCPU's context, and vCPUs
    translate concurrently.)"""

    def __init__(self, be: Backend, regs: RegisterFile, n_index: int,
                 reg_of: list[int] | None = None) -> None:  # fmt: skip
        self.be = be
        self.regs = regs  # ``be.regs``: read once (a generic attribute of the backend)
        self.order = regs.order
        # temp index -> its register, or -1: the caller's list when given (all -1, as
        # ``allocate`` leaves it: no list of a few hundred entries made and freed per TB)
        if reg_of is None:
            reg_of = [-1] * n_index
        elif len(reg_of) < n_index:
            reg_of.extend([-1] * (n_index - len(reg_of)))
        self.reg_of = reg_of
        self.cregs: dict[Temp, int] = {}  # constants in registers -> their register
        # register number -> the temp it holds, or None (a list: native reads compiled)
        self.temp_in: list[Temp | None] = list(regs.no_temps)
        self.dirty = 0  # mask of registers whose value memory does not have yet
        self.out: list[Insn] = []
        self.slots: dict[Temp, int] = {}
        self.frame = 0

    # -- memory homes --------------------------------------------------------------

    def slot(self, t: Temp) -> int:
        s = self.slots.get(t)
        if s is None:
            s = self.slots[t] = self.frame
            self.frame += 8
        return s

    def store(self, r: int, t: Temp) -> None:
        """Write register ``r`` (holding ``t``) to ``t``'s memory home."""
        slot = -1 if t.kind is _GLOBAL else self.slot(t)
        self.out.append((STORE, r, t, slot))
        self.dirty &= ~(1 << r)

    def load(self, r: int, t: Temp) -> None:
        slot = -1 if t.kind is _GLOBAL else self.slot(t)
        self.out.append((LOAD, r, t, slot))

    # -- register bookkeeping --------------------------------------------------------------

    def reg(self, t: Temp) -> int:
        """The register holding ``t``, or -1."""
        i = t.index
        if i >= 0:
            return self.reg_of[i]
        r = self.cregs.get(t)
        return -1 if r is None else r

    def link(self, t: Temp, r: int) -> None:
        """Record that ``t`` is in register ``r`` (-1: in none); ``temp_in`` is the
        caller's."""
        i = t.index
        if i >= 0:
            self.reg_of[i] = r
        elif r >= 0:
            self.cregs[t] = r
        else:
            del self.cregs[t]

    def bind(self, t: Temp, r: int, dirty: bool) -> None:
        """``t`` is in ``r`` now (leaving the register it was in), newer than memory when
        ``dirty``; whatever ``r`` held is forgotten."""
        temp_in = self.temp_in
        prev = temp_in[r]
        if prev is not None:
            self.link(prev, -1)
        old = self.reg(t)
        if old >= 0:
            temp_in[old] = None
            self.dirty &= ~(1 << old)
        self.link(t, r)
        temp_in[r] = t
        if dirty:
            self.dirty |= 1 << r
        else:
            self.dirty &= ~(1 << r)

    def unbind_reg(self, r: int) -> None:
        t = self.temp_in[r]
        if t is not None:
            self.temp_in[r] = None
            self.link(t, -1)
            self.dirty &= ~(1 << r)

    def evict(self, r: int) -> None:
        """Free ``r``, saving its value to memory first if memory is stale."""
        t = self.temp_in[r]
        if t is None:
            return
        if self.dirty >> r & 1:
            self.store(r, t)
        self.unbind_reg(r)

    def free_reg(self, busy: int) -> int:
        """A register outside the mask ``busy``: a free one, else one spilled."""
        temp_in = self.temp_in
        for r in self.order:
            if not busy >> r & 1 and temp_in[r] is None:
                return r
        dirty = self.dirty
        for r in self.order:  # spill: prefer a clean value (no store needed)
            if not busy >> r & 1 and not dirty >> r & 1:
                self.evict(r)
                return r
        for r in self.order:
            if not busy >> r & 1:
                self.evict(r)
                return r
        raise RuntimeError("register allocation: every register is pinned by one op")

    def sync_globals(self) -> None:
        """Store dirty globals (their registers stay valid)."""
        rest = self.dirty
        temp_in = self.temp_in
        while rest:  # each dirty register, lowest first
            low = rest & -rest
            rest ^= low
            r = low.bit_length() - 1
            t = temp_in[r]
            if t is not None and t.kind is _GLOBAL:
                self.store(r, t)

    def sync(self, kinds: tuple[TempKind, ...], drop: bool) -> None:
        """Store dirty values of these kinds; with ``drop`` also forget their registers."""
        temp_in = self.temp_in
        for r, t in enumerate(temp_in):
            if t is not None and t.kind in kinds:
                if self.dirty >> r & 1:
                    self.store(r, t)
                if drop:
                    self.unbind_reg(r)

    def forget_all(self) -> None:
        temp_in = self.temp_in  # emptied in place: allocate() holds the list (and a
        for r in range(len(temp_in)):  # slice assignment would be a generic call)
            t = temp_in[r]
            if t is not None:
                self.link(t, -1)
                temp_in[r] = None
        self.dirty = 0

    # -- operands --------------------------------------------------------------------------

    def materialize(self, t: Temp, want: int, busy: int) -> int:
        """A register holding ``t`` (``want`` if not -1, never one in the mask ``busy``
        otherwise), loading or moving as needed."""
        cur = self.reg(t)
        if want < 0:
            if cur >= 0:
                return cur
            r = self.free_reg(busy)
        else:
            if cur == want:
                return want
            r = want
            temp_in = self.temp_in
            other = temp_in[r]
            if other is not None:
                avoid = busy | 1 << r | (1 << cur if cur >= 0 else 0)
                if all(avoid >> x & 1 or temp_in[x] is not None for x in self.order):
                    self.evict(r)  # nowhere free to move it: back to memory
                else:
                    dest = self.free_reg(avoid)
                    self.out.append((MOV, dest, r))
                    self.bind(other, dest, bool(self.dirty >> r & 1))
                cur = self.reg(t)
            if cur >= 0:
                self.out.append((MOV, r, cur))
                self.bind(t, r, bool(self.dirty >> cur & 1))
                return r
        if t.kind is _CONST:
            self.out.append((MOVI, r, t.value))
        else:
            self.load(r, t)
        self.bind(t, r, False)  # constants too, for the op's duration (never dirty)
        return r


_GLOBAL: Final = TempKind.GLOBAL
_CONST: Final = TempKind.CONST
_I32: Final = I32
_M64: Final = 0xFFFFFFFFFFFFFFFF
_NO_READ_GLOBALS: Final = int(CallFlags.NO_READ_GLOBALS)  # tested on Helper.bits
_NO_WRITE_GLOBALS: Final = int(CallFlags.NO_WRITE_GLOBALS)
_GLOBALS_AND_TB: Final = (TempKind.GLOBAL, TempKind.TB)


class _Parsed:
    """An ``OpConstraint`` read once (per TB, or for as long as the backend keeps
    ``parsed``): what ``allocate`` asks of it per op."""

    __slots__ = ("clobbers", "con", "imms", "out_kinds", "wants")

    def __init__(self, con: OpConstraint, regs: RegisterFile) -> None:
        self.con = con  # held, so that its id() stays unique while this entry lives
        self.wants = [-1 if c in _IMM_KIND else regs.number(c) for c in con.ins]
        self.imms = [_IMM_KIND.get(c, _IMM_NO) for c in con.ins]
        # per output: _OUT_ANY, _OUT_EARLY, the input index it aliases (>= 0), or
        # _OUT_FIXED - register number
        self.out_kinds = [
            _OUT_ANY if c == "r" else _OUT_EARLY if c == "&r"
            else int(c) if c.isdigit() else _OUT_FIXED - regs.number(c)
            for c in con.outs
        ]  # fmt: skip
        clobbers = 0
        for n in con.clobbers:
            clobbers |= 1 << regs.number(n)
        self.clobbers = clobbers  # a mask of register numbers


_IMM_NO: Final = 0
_IMM_ASK: Final = 1  # ri: ask imm_ok
_IMM_ANY: Final = 2  # rI
_IMM_S32: Final = 3  # re
_IMM_KIND: Final = {"r": _IMM_NO, "ri": _IMM_ASK, "rI": _IMM_ANY, "re": _IMM_S32}
_OUT_ANY: Final = -1
_OUT_EARLY: Final = -2
_OUT_FIXED: Final = -3
#: how ``allocate`` takes an op, by ``OpDef.index`` (one list read per op, no set of names)
_GENERAL: Final = 0
_PLAIN: Final = 1  # no operands: insn_start, mb
_GOTO_TB: Final = 2  # no operands, the state complete first
_LABEL: Final = 3
_MOVE: Final = 4  # mov / movi (``_move``)
_HOW: Final = by_index(
    lambda d: _PLAIN if d.name in ("insn_start", "mb") else _GOTO_TB if d.name == "goto_tb"
    else _LABEL if d.name == "set_label" else _MOVE if d.base in ("mov", "movi") else _GENERAL
)  # fmt: skip


def _move(st: _State, op: Op) -> None:
    """``mov`` / ``movi`` without the general path (QEMU's tcg_reg_alloc_mov): a
    constant is loaded into the output's register; a global output that nothing reads
    in this block (``SYNC_ONLY``) is stored from the input's register; an input that
    dies here hands its register over to the output (no instruction), unless it is a
    global whose only up-to-date copy that register is; otherwise one register move.
    Hosts keep i32 values zero-extended in 64-bit registers, so a full move copies an
    i32."""
    dst: Temp = op.args[0]
    temp_in = st.temp_in
    src_t: Temp
    if op.n_in == 0:  # movi: the value itself (typed reads, no generic attribute lookup)
        value: int = op.args[1]
        known = True
    else:
        src_t = op.args[1]
        known = src_t.kind is _CONST
        value = src_t.value
    if known:  # movi, or mov of a constant
        value &= 0xFFFFFFFF if dst.type is _I32 else _M64
        r = st.reg(dst)
        if r < 0:
            r = st.free_reg(0)
        st.out.append((MOVI, r, value))
        st.bind(dst, r, True)
        return
    if src_t is dst:
        return
    if op.life & SYNC_ONLY:  # a global nothing reads in this block: its home takes the value
        r_in = st.materialize(src_t, -1, 0)
        st.out.append((STORE, r_in, dst, -1))
        r_out = st.reg(dst)
        if r_out >= 0:  # an older value of it, newer than memory no more
            st.unbind_reg(r_out)
        if op.life & 1 and not (src_t.kind is _GLOBAL and st.dirty >> r_in & 1):
            st.unbind_reg(r_in)
        return
    r = st.reg(src_t)
    # the input's register is free after the move: it dies here and is not a dirty
    # global's only up-to-date copy
    frees = op.life & 1 and not (src_t.kind is _GLOBAL and r >= 0 and st.dirty >> r & 1)
    if r >= 0 and frees:
        st.unbind_reg(r)
        st.bind(dst, r, True)
        return
    r_in = st.materialize(src_t, -1, 0)
    r_out = st.reg(dst)
    if r_out < 0:
        r_out = st.free_reg(1 << r_in)
    st.out.append((MOV, r_out, r_in))
    st.bind(dst, r_out, True)
    if frees and temp_in[r_in] is src_t:
        st.unbind_reg(r_in)


_BB_END_OR_EXIT: Final = OpFlag.BB_END | OpFlag.EXIT
_MEM: Final = OpFlag.MEM


def allocate(ops: list[Op], be: Backend, n_index: int = -1, mem_writes_globals: bool = False,
             reg_of: list[int] | None = None) -> Allocation:  # fmt: skip
    """Assign registers to ``ops`` (after ``liveness``); see the module docstring.
    ``n_index``: more than the largest index of a temp in ``ops`` (the context's
    globals and temps: ``TCGContext.n_index``; found from the ops when not given).
    ``mem_writes_globals``: a guest memory access may write globals (memory hooks run
    in it), so no global stays in a register across one. ``reg_of``: a list of -1s
    (of any length) to keep the register of each temp in, left all -1 again when the
    allocation succeeds (``TCGContext.alloc_reg_of``: one per context, reused)."""
    if n_index < 0:
        n_index = 1 + max((t.index for op in ops for t in op.args[: op.n_out + op.n_in]
                           if type(t) is Temp), default=0)  # fmt: skip
    regs = be.regs
    st = _State(be, regs, n_index, reg_of)
    constraint = be.constraint
    imm_ok = be.imm_ok
    out = st.out
    temp_in = st.temp_in
    # the registers of the ops without operands (labels, insn_start, goto_tb: a
    # quarter of all): one empty list for them all, which no lowering writes
    no_regs: list[Any] = []
    # keyed by op name for the constraints in ``fixed`` (those depend on the op alone),
    # else by id(constraint), the entry holding the constraint (so that its id is not
    # reused while cached); kept by the backend across TBs when it offers a dict, and
    # bounded, since a backend may build a fresh constraint per op
    parsed: dict[object, _Parsed] | None = getattr(be, "parsed", None)
    if parsed is None:
        parsed = {}
    elif len(parsed) > 1024:
        parsed.clear()
    # constraints that depend on the op alone, by op name: no call to ``constraint``
    given = getattr(be, "fixed", None)  # a dict (typed so: a native lookup per op)
    fixed: dict[str, OpConstraint] = given if isinstance(given, dict) else dict(given or {})
    call_clobbered = regs.call_clobbered_mask
    order_mask = regs.order_mask  # of the allocatable registers
    for op in ops:
        opc = op.opc
        d = op.defn
        flags = d.flags
        how = _HOW[d.index]
        if how != _GENERAL:
            if how == _MOVE:
                _move(st, op)
                continue
            if how == _GOTO_TB:
                # once linked, the jump leaves the TB here: the state must be complete
                st.sync_globals()
            elif how == _LABEL:
                st.sync(_GLOBALS_AND_TB, drop=True)
                st.forget_all()
            out.append((OP, op, no_regs, no_regs))
            continue
        if flags & _MEM:
            st.sync_globals()  # the access may fault
        pc = parsed.get(opc)  # a constraint that depends on the op alone, by its name
        if pc is None:
            con = fixed.get(opc)
            if con is not None:
                pc = parsed[opc] = _Parsed(con, regs)
            else:
                con = constraint(op)
                pc = parsed.get(id(con))
                if pc is None or pc.con is not con:
                    pc = parsed[id(con)] = _Parsed(con, regs)
        wants = pc.wants
        imms = pc.imms
        n_con = len(wants)
        busy = 0  # mask of the registers the op's operands hold
        in_ops: list[int | Const] = []
        scratch: list[int] | None = None  # registers of constants loaded for this op
        call = opc == "call"
        helper_bits = 0
        if call:
            helper: Helper = op.args[-1]
            helper_bits = helper.bits
            if not helper_bits & _NO_READ_GLOBALS:
                st.sync_globals()
        # inputs
        n_out = op.n_out
        args = op.args  # outputs, then inputs: indexed, not sliced (no tuple per op)
        n_in = op.n_in
        for i in range(n_in):
            t: Temp = args[n_out + i]
            kind = t.kind
            if kind is _CONST and i < n_con:
                ik = imms[i]
                if ik != _IMM_NO:
                    v = t.value
                    if (ik == _IMM_ANY
                            or (ik == _IMM_S32 and (t.type is _I32 or v < 0x80000000
                                                    or v > _M64 - 0x80000000))
                            or (ik == _IMM_ASK and imm_ok(op, i, v))):  # fmt: skip
                        in_ops.append(Const(v))
                        continue
            want = wants[i] if i < n_con else -1
            r = st.reg(t) if want < 0 else -1
            if r < 0:
                r = st.materialize(t, want, busy)
                if r in in_ops:  # an earlier input moved out of ``r``?
                    for j, x in enumerate(in_ops):
                        if x == r and args[n_out + j] is not t:
                            moved = st.reg(args[n_out + j])
                            if moved < 0:  # it went back to memory: reload it elsewhere
                                moved = st.materialize(args[n_out + j], -1, busy | 1 << r)
                            in_ops[j] = moved
                            busy |= 1 << moved
            busy |= 1 << r
            in_ops.append(r)
            if kind is _CONST:
                if scratch is None:
                    scratch = []
                scratch.append(r)
        # registers the op destroys: save what lives there (and is not an operand)
        clobbered = pc.clobbers | call_clobbered if call else pc.clobbers
        bb_end = flags & _BB_END_OR_EXIT
        if bb_end:
            st.sync(_GLOBALS_AND_TB, drop=False)
        life = op.life
        rest = clobbered
        while rest:  # each clobbered register, lowest first
            low = rest & -rest
            rest ^= low
            reg = low.bit_length() - 1
            if temp_in[reg] is None:
                continue
            idx = [i for i, x in enumerate(in_ops) if x == reg]
            if idx and all(life >> i & 1 for i in idx):
                st.unbind_reg(reg)  # consumed by this op, not needed afterwards
            else:
                st.evict(reg)
        # inputs that die here free their registers (after reading them); an output
        # may then take such a register unless its constraint is early-clobber (&r)
        reusable = 0  # mask of input registers an output may take
        for i, x in enumerate(in_ops):
            if not isinstance(x, int):
                continue
            t_in: Temp = args[n_out + i]
            if temp_in[x] is t_in and (life >> i & 1 or t_in.kind is _CONST):
                if t_in.kind is _GLOBAL and st.dirty >> x & 1:
                    continue  # the global's only up-to-date copy: keep it
                st.unbind_reg(x)
                reusable |= 1 << x
        for x in in_ops:
            if isinstance(x, int):
                held = temp_in[x]
                if held is not None:
                    if st.dirty >> x & 1:
                        reusable &= ~(1 << x)
                    else:
                        # an input whose memory home is up to date may give up its register
                        reusable |= 1 << x
        # outputs
        out_regs: list[int] = []
        out_mask = 0  # of out_regs
        out_kinds = pc.out_kinds
        for k in range(n_out):
            t = args[k]
            c = out_kinds[k] if k < len(out_kinds) else _OUT_ANY
            if c == _OUT_ANY:
                avoid = busy & ~reusable
                taken = avoid | out_mask | clobbered
                if taken & order_mask == order_mask:
                    # every register is an operand: an input may give up its register
                    # once its memory home (state slot or frame slot) is written; the op
                    # still reads it there, and later uses reload it
                    for x in in_ops:
                        held = temp_in[x] if isinstance(x, int) else None
                        if held is not None and held.kind is not _CONST:
                            assert isinstance(x, int)
                            if st.dirty >> x & 1:
                                st.store(x, held)
                            reusable |= 1 << x
                    avoid = busy & ~reusable
                r = st.free_reg(avoid | out_mask | clobbered)
            elif c >= 0:
                src = in_ops[c]
                assert isinstance(src, int), "an aliased input cannot be an immediate"
                if src in out_regs:
                    # an earlier output already took this register (the same value is
                    # two inputs): this output starts from a copy of it
                    dest = st.free_reg(busy | out_mask | 1 << src)
                    out.append((MOV, dest, src))
                    st.unbind_reg(dest)
                    out_regs.append(dest)
                    out_mask |= 1 << dest
                    continue
                holder = temp_in[src]
                if holder is not None and holder is not t:
                    # the input is still needed afterwards: give it another register
                    dest = st.free_reg(busy | out_mask | 1 << src)
                    out.append((MOV, dest, src))
                    st.bind(holder, dest, bool(st.dirty >> src & 1))
                r = src
            elif c == _OUT_EARLY:
                r = st.free_reg(busy | out_mask | clobbered)
            else:
                r = _OUT_FIXED - c
                holder = temp_in[r]
                if holder is not None and holder is not t:
                    st.evict(r)
            out_regs.append(r)
            out_mask |= 1 << r
        out.append((OP, op, out_regs, in_ops))
        for k in range(n_out):
            st.bind(args[k], out_regs[k], True)
        if scratch is not None:
            for r in scratch:
                held = temp_in[r]
                if held is not None and held.kind is _CONST:
                    st.unbind_reg(r)
        if (call and not helper_bits & _NO_WRITE_GLOBALS) or (
                flags & _MEM and mem_writes_globals):  # fmt: skip
            st.sync((TempKind.GLOBAL,), drop=True)  # cached copies may be stale now
        if bb_end:
            st.forget_all()
        # else after a guest memory access the globals were stored before it; their
        # registers are still valid
    st.forget_all()  # (a TB ends with an exit, which did it: ``reg_of`` is all -1 again)
    return Allocation(st.out, st.frame, st.slots)


def simulate(alloc: Allocation, state: list[int], evaluate: Callable[..., list[int]],
             cond_holds: Callable[[int, int, int, int], bool],
             max_steps: int = 100_000) -> Any:  # fmt: skip
    """Run an allocated stream on a model machine (registers, CPU state, frame):
    the reference the allocator's tests compare with the IR interpreter."""
    regs: dict[int, int] = {}
    frame: dict[int, int] = {}
    labels = {id(i[1].consts[0]): n for n, i in enumerate(alloc.insns)
              if i[0] == OP and i[1].opc == "set_label"}  # fmt: skip
    pc = 0
    steps = 0
    while pc < len(alloc.insns):
        steps += 1
        if steps > max_steps:
            raise RuntimeError("simulation did not terminate")
        i = alloc.insns[pc]
        pc += 1
        kind = i[0]
        if kind == MOV:
            regs[i[1]] = regs[i[2]]
        elif kind == MOVI:
            regs[i[1]] = i[2]
        elif kind == LOAD:
            _, dst, t, slot = i
            regs[dst] = state[t.offset >> 3] & t.type.mask if slot < 0 else frame[slot]
        elif kind == STORE:
            _, src, t, slot = i
            if slot < 0:
                state[t.offset >> 3] = regs[src] & t.type.mask
            else:
                frame[slot] = regs[src]
        else:
            _, op, _, ins = i
            vals = [x.value if isinstance(x, Const) else regs[x] for x in ins]
            if op.opc in ("insn_start", "mb", "goto_tb", "set_label"):
                continue
            if op.opc == "exit_tb":
                return op.consts[0]
            if op.opc == "br":
                pc = labels[id(op.consts[0])]
                continue
            d = op.defn
            w = d.type.value if d.type is not None else 64
            if d.base == "brcond":
                if cond_holds(op.consts[0], vals[0], vals[1], w):
                    pc = labels[id(op.consts[1])]
                continue
            outs = evaluate(op, vals)
            for r, v in zip(i[2], outs):
                regs[r] = v
    raise RuntimeError("fell off the end of the TB")
