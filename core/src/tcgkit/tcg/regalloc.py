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
* at a label every value is in memory and no register is assigned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .ir import Op, Temp, TempKind
from .ops import OpFlag
from .types import CallFlags


@dataclass(frozen=True)
class RegisterFile:
    names: tuple[str, ...]  # register number -> name
    order: tuple[int, ...]  # allocatable registers, most preferred first
    call_clobbered: frozenset[int]

    def number(self, name: str) -> int:
        return self.names.index(name)


@dataclass(frozen=True)
class OpConstraint:
    outs: tuple[str, ...]
    ins: tuple[str, ...]
    clobbers: tuple[str, ...] = ()


def call_constraint(op: Op, arg_regs: tuple[str, ...]) -> OpConstraint:
    """A helper call's constraint: its inputs in the host's argument registers
    ``arg_regs`` (after the CPU-state pointer), its output anywhere."""
    n = len(op.ins)
    if n > len(arg_regs):
        raise ValueError(f"helper {op.consts[0].name!r}: at most {len(arg_regs)} arguments")
    return OpConstraint(("r",) * op.n_out, arg_regs[:n])


class Backend(Protocol):
    regs: RegisterFile

    def constraint(self, op: Op) -> OpConstraint: ...

    def imm_ok(self, op: Op, index: int, value: int) -> bool: ...


@dataclass(frozen=True)
class Const:
    value: int


@dataclass(slots=True)
class Insn:
    """One element of the allocated stream.

    kind ``op``: ``op`` with ``outs`` (registers) and ``ins`` (registers or
    Const). ``mov``: ``dst`` <- ``src``. ``movi``: ``dst`` <- ``value``.
    ``load`` / ``store``: a register <-> the memory home of ``temp`` (a
    global's state offset, or a stack slot at ``slot``).
    """

    kind: str
    op: Op | None = None
    outs: list[int] = field(default_factory=list)
    ins: list[int | Const] = field(default_factory=list)
    dst: int = -1
    src: int = -1
    value: int = 0
    temp: Temp | None = None
    slot: int = -1


@dataclass
class Allocation:
    insns: list[Insn]
    frame_size: int  # bytes of stack slots used for TB-scoped temps and spills
    slots: dict[int, int]  # id(temp) -> frame offset


class _State:
    def __init__(self, be: Backend) -> None:
        self.be = be
        self.regs = be.regs
        self.reg_of: dict[int, int] = {}  # id(temp) -> register
        self.temp_in: dict[int, Temp] = {}  # register -> temp
        self.dirty: set[int] = set()  # id(temp) whose register copy is newer than memory
        self.out: list[Insn] = []
        self.slots: dict[int, int] = {}
        self.frame = 0

    # -- memory homes --------------------------------------------------------------

    def slot(self, t: Temp) -> int:
        key = id(t)
        if key not in self.slots:
            self.slots[key] = self.frame
            self.frame += 8
        return self.slots[key]

    def store(self, r: int, t: Temp) -> None:
        slot = -1 if t.kind is TempKind.GLOBAL else self.slot(t)
        self.out.append(Insn("store", src=r, temp=t, slot=slot))
        self.dirty.discard(id(t))

    def load(self, r: int, t: Temp) -> None:
        slot = -1 if t.kind is TempKind.GLOBAL else self.slot(t)
        self.out.append(Insn("load", dst=r, temp=t, slot=slot))

    # -- register bookkeeping --------------------------------------------------------------

    def bind(self, t: Temp, r: int, dirty: bool) -> None:
        self.unbind_reg(r)
        old = self.reg_of.get(id(t))
        if old is not None:
            del self.temp_in[old]
        self.reg_of[id(t)] = r
        self.temp_in[r] = t
        if dirty:
            self.dirty.add(id(t))

    def unbind_reg(self, r: int) -> None:
        t = self.temp_in.pop(r, None)
        if t is not None:
            del self.reg_of[id(t)]

    def evict(self, r: int) -> None:
        """Free ``r``, saving its value to memory first if memory is stale."""
        t = self.temp_in.get(r)
        if t is None:
            return
        if id(t) in self.dirty:
            self.store(r, t)
        self.unbind_reg(r)

    def free_reg(self, busy: set[int]) -> int:
        for r in self.regs.order:
            if r not in self.temp_in and r not in busy:
                return r
        for r in self.regs.order:  # spill: prefer a clean value (no store needed)
            t = self.temp_in.get(r)
            if r not in busy and t is not None and id(t) not in self.dirty:
                self.evict(r)
                return r
        for r in self.regs.order:
            if r not in busy:
                self.evict(r)
                return r
        raise RuntimeError("register allocation: every register is pinned by one op")

    def sync(self, kinds: tuple[TempKind, ...], drop: bool) -> None:
        """Store dirty values of these kinds; with ``drop`` also forget their registers."""
        for r, t in list(self.temp_in.items()):
            if t.kind in kinds:
                if id(t) in self.dirty:
                    self.store(r, t)
                if drop:
                    self.unbind_reg(r)

    def forget_all(self) -> None:
        self.reg_of.clear()
        self.temp_in.clear()
        self.dirty.clear()

    # -- operands --------------------------------------------------------------------------

    def materialize(self, t: Temp, want: int | None, busy: set[int]) -> int:
        """A register holding ``t`` (``want`` if given), loading or moving as needed."""
        cur = self.reg_of.get(id(t))
        if want is None:
            if cur is not None:
                return cur
            r = self.free_reg(busy)
        else:
            if cur == want:
                return want
            r = want
            if r in self.temp_in:
                other = self.temp_in[r]
                avoid = busy | {r} | ({cur} if cur is not None else set())
                if all(x in avoid or x in self.temp_in for x in self.regs.order):
                    self.evict(r)  # nowhere free to move it: back to memory
                else:
                    dest = self.free_reg(avoid)
                    self.out.append(Insn("mov", dst=dest, src=r))
                    self.bind(other, dest, id(other) in self.dirty)
                cur = self.reg_of.get(id(t))
            if cur is not None:
                self.out.append(Insn("mov", dst=r, src=cur))
                self.bind(t, r, id(t) in self.dirty)
                return r
        if t.kind is TempKind.CONST:
            self.out.append(Insn("movi", dst=r, value=t.value))
        else:
            self.load(r, t)
        self.bind(t, r, False)  # constants too, for the op's duration (never dirty)
        return r


def _parse(con: OpConstraint, regs: RegisterFile) -> tuple[list[int | None], list[bool], set[int]]:
    """Per input: the fixed register wanted (None: any) and whether an immediate
    may stand for it; the registers the op clobbers."""
    want = [None if c in ("r", "ri") else regs.number(c) for c in con.ins]
    imm = [c == "ri" for c in con.ins]
    return want, imm, {regs.number(n) for n in con.clobbers}


_PLAIN = frozenset(("insn_start", "mb", "goto_tb"))


def allocate(ops: list[Op], be: Backend) -> Allocation:
    """Assign registers to ``ops`` (after ``liveness``); see the module docstring."""
    st = _State(be)
    regs = be.regs
    # keyed by the constraint itself (frozen, hashable): backends may build a fresh
    # one per op, and an id() could then be reused by a different constraint
    parsed: dict[OpConstraint, tuple[list[int | None], list[bool], set[int]]] = {}
    call_clobbered = set(regs.call_clobbered)
    for op in ops:
        opc = op.opc
        flags = op.defn.flags
        if opc in _PLAIN:
            if opc == "goto_tb":
                # once linked, the jump leaves the TB here: the state must be complete
                st.sync((TempKind.GLOBAL,), drop=False)
            st.out.append(Insn("op", op=op))
            continue
        if opc == "set_label":
            st.sync((TempKind.GLOBAL, TempKind.TB), drop=True)
            st.forget_all()
            st.out.append(Insn("op", op=op))
            continue
        if flags & OpFlag.MEM:
            st.sync((TempKind.GLOBAL,), drop=False)  # the access may fault
        con = be.constraint(op)
        pc = parsed.get(con)
        if pc is None:
            pc = parsed[con] = _parse(con, regs)
        wants, imms, con_clobbers = pc
        n_con = len(wants)
        busy: set[int] = set()
        in_ops: list[int | Const] = []
        scratch: list[int] = []
        call = opc == "call"
        if call:
            helper = op.consts[0]
            if not helper.flags & CallFlags.NO_READ_GLOBALS:
                st.sync((TempKind.GLOBAL,), drop=False)
        # inputs
        ins = op.ins
        for i, t in enumerate(ins):
            is_const = t.kind is TempKind.CONST
            if is_const and i < n_con and imms[i] and be.imm_ok(op, i, t.value):
                in_ops.append(Const(t.value))
                continue
            r = st.materialize(t, wants[i] if i < n_con else None, busy)
            if r in in_ops:  # an earlier input moved out of ``r``?
                for j, x in enumerate(in_ops):
                    if x == r and ins[j] is not t:
                        moved = st.reg_of.get(id(ins[j]))
                        if moved is None:  # it went back to memory: reload it elsewhere
                            moved = st.materialize(ins[j], None, busy | {r})
                        in_ops[j] = moved
                        busy.add(moved)
            busy.add(r)
            in_ops.append(r)
            if is_const:
                scratch.append(r)
        # registers the op destroys: save what lives there (and is not an operand)
        clobbered = con_clobbers | call_clobbered if call else con_clobbers
        if flags & OpFlag.BB_END or flags & OpFlag.EXIT:
            st.sync((TempKind.GLOBAL, TempKind.TB), drop=False)
        for r in clobbered:
            t = st.temp_in.get(r)
            if t is None:
                continue
            idx = [i for i, x in enumerate(in_ops) if x == r]
            dies_here = all(op.life >> i & 1 for i in idx) if idx else False
            if idx and dies_here:
                st.unbind_reg(r)  # consumed by this op, not needed afterwards
            else:
                st.evict(r)
        # inputs that die here free their registers (after reading them); an output
        # may then take such a register unless its constraint is early-clobber (&r)
        reusable: set[int] = set()
        for i, t in enumerate(ins):
            x = in_ops[i]
            dies = op.life >> i & 1 or t.kind is TempKind.CONST
            if isinstance(x, int) and dies and st.temp_in.get(x) is t:
                if t.kind is TempKind.GLOBAL and id(t) in st.dirty:
                    continue  # the global's only up-to-date copy: keep it
                st.unbind_reg(x)
                reusable.add(x)
        reusable -= {x for x in in_ops if isinstance(x, int) and x in st.temp_in}
        # an input whose memory home is up to date may also give up its register
        reusable |= {x for x in in_ops if isinstance(x, int) and x in st.temp_in
                     and id(st.temp_in[x]) not in st.dirty}  # fmt: skip
        # outputs
        out_regs: list[int] = []
        outs = op.outs
        for k, t in enumerate(outs):
            c = con.outs[k] if k < len(con.outs) else "r"
            if c.isdigit():
                src = in_ops[int(c)]
                assert isinstance(src, int), "an aliased input cannot be an immediate"
                if src in out_regs:
                    # an earlier output already took this register (the same value is
                    # two inputs): this output starts from a copy of it
                    dest = st.free_reg(busy | set(out_regs) | {src})
                    st.out.append(Insn("mov", dst=dest, src=src))
                    st.unbind_reg(dest)
                    out_regs.append(dest)
                    continue
                holder = st.temp_in.get(src)
                if holder is not None and holder is not t:
                    # the input is still needed afterwards: give it another register
                    dest = st.free_reg(busy | set(out_regs) | {src})
                    st.out.append(Insn("mov", dst=dest, src=src))
                    st.bind(holder, dest, id(holder) in st.dirty)
                r = src
            elif c in ("r", "&r"):
                avoid = busy if c == "&r" else busy - reusable
                if c == "r" and all(x in avoid or x in out_regs or x in clobbered
                                    for x in regs.order):  # fmt: skip
                    # every register is an operand: an input global may give up its
                    # register once its memory home is written (the op still reads it)
                    for x in in_ops:
                        t_in = st.temp_in.get(x) if isinstance(x, int) else None
                        if t_in is not None and t_in.kind is TempKind.GLOBAL:
                            if id(t_in) in st.dirty:
                                st.store(x, t_in)
                            reusable.add(x)
                    avoid = busy - reusable
                r = st.free_reg(avoid | set(out_regs) | clobbered)
            else:
                r = regs.number(c)
                if st.temp_in.get(r) is not None and st.temp_in[r] is not t:
                    st.evict(r)
            out_regs.append(r)
        st.out.append(Insn("op", op=op, outs=list(out_regs), ins=in_ops))
        for t, r in zip(outs, out_regs, strict=True):
            st.bind(t, r, True)
        for r in scratch:
            t = st.temp_in.get(r)
            if t is not None and t.kind is TempKind.CONST:
                st.unbind_reg(r)
        if call and not op.consts[0].flags & CallFlags.NO_WRITE_GLOBALS:
            st.sync((TempKind.GLOBAL,), drop=True)  # cached copies may be stale now
        if flags & OpFlag.BB_END or flags & OpFlag.EXIT:
            st.forget_all()
        elif flags & OpFlag.MEM:
            pass  # globals were stored before; their registers are still valid
    return Allocation(st.out, st.frame, st.slots)


def simulate(alloc: Allocation, state: list[int], evaluate: Callable[..., list[int]],
             cond_holds: Callable[[int, int, int, int], bool],
             max_steps: int = 100_000) -> Any:  # fmt: skip
    """Run an allocated stream on a model machine (registers, CPU state, frame):
    the reference the allocator's tests compare with the IR interpreter."""
    regs: dict[int, int] = {}
    frame: dict[int, int] = {}
    labels = {id(i.op.consts[0]): n for n, i in enumerate(alloc.insns)
              if i.kind == "op" and i.op is not None and i.op.opc == "set_label"}  # fmt: skip
    pc = 0
    steps = 0
    while pc < len(alloc.insns):
        steps += 1
        if steps > max_steps:
            raise RuntimeError("simulation did not terminate")
        i = alloc.insns[pc]
        pc += 1
        if i.kind == "mov":
            regs[i.dst] = regs[i.src]
        elif i.kind == "movi":
            regs[i.dst] = i.value
        elif i.kind == "load":
            assert i.temp is not None
            regs[i.dst] = (state[i.temp.offset >> 3] & i.temp.type.mask if i.slot < 0
                           else frame[i.slot])  # fmt: skip
        elif i.kind == "store":
            assert i.temp is not None
            if i.slot < 0:
                state[i.temp.offset >> 3] = regs[i.src] & i.temp.type.mask
            else:
                frame[i.slot] = regs[i.src]
        else:
            op = i.op
            assert op is not None
            vals = [x.value if isinstance(x, Const) else regs[x] for x in i.ins]
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
            for r, v in zip(i.outs, outs, strict=True):
                regs[r] = v
    raise RuntimeError("fell off the end of the TB")
