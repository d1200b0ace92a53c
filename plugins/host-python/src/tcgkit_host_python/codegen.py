"""IR -> Python source for one TB.

Owns the translation of every IR op into Python statements, and the shape
of the generated function:

    def tb(s, c, _tb=<the TB>):
        ...

``s`` is the CPU state (a list of 64-bit slots: global ``g`` is ``s[g.offset
// 8]``), ``c`` the vCPU (its TLB and slow paths), ``_tb`` the TB itself so
that an exception's traceback names it. Non-global temps are locals
``t<index>``; constants are literals. The function returns the exit value
(goto_tb slot 0/1, or EXIT_LOOKUP).

Control flow: a TB without labels is straight-line code. With labels, the
ops are cut into basic blocks and the body becomes a dispatch on the block
number ``L``: each block runs under ``if L == i:`` and ends by setting ``L``
to its successor; when some branch goes backwards the blocks sit in a
``while True:`` loop and such branches ``continue``.

Values are kept masked to their width (i32 in [0, 2**32), i64 in
[0, 2**64)); an op masks its result only where the operation can leave the
range. Signed views use the bias trick: ``(x ^ S) - S`` with S the sign bit.

The optional crypto ops (``aese_i64``... ``clmul_i64``, ``sha256h_i64``...,
``sha1c_i64``..., ``sha512h_i64``...) are one call each of their reference
(``tcgkit.tcg.aes``, ``semantics.clmul``, ``tcgkit.tcg.sha256``, ``sha1``,
``sha512``).

Float ops call ``softfloat``; with a flags slot (``GuestTarget.fp_flags_offset``)
they call ``fpflags.flagged``'s wrapper, which also ORs their IEEE flags into it.

Guest memory: qemu_ld/qemu_st inline the softmmu TLB fast path (tag
compare, then ``struct.unpack_from`` / ``pack_into`` on the RAM view) and
call ``c.tlb.load`` / ``c.tlb.store`` on a miss.

``line_of_insn`` records the source line where each guest instruction
starts, so a traceback line maps back to the guest instruction.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from tcgkit.tcg.fpflags import RAISING, flagged
from tcgkit.tcg.ir import Helper, Label, Op, Temp, TempKind
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.semantics import SEMANTICS
from tcgkit.tcg.softfloat import OP_IMPL as FLOAT_OPS
from tcgkit.tcg.types import Cond, MemOp

from .conventions import (
    CRYPTO_OPS,
    ENV_SIZES,
    M64,
    PAGE_BITS,
    PAGE_MASK,
    TLB_MASK,
    CodegenError,
    check_field,
    crypto_reference,
    struct_name,
)


@dataclass
class Generated:
    source: str
    bindings: dict[str, Any]  # names the source refers to (helpers, struct functions)
    insn_lines: list[int] = field(default_factory=list)  # first line of each guest insn


class _Emitter:
    def __init__(self, fp_slot: int = -1) -> None:
        self.fp_slot = fp_slot  # the state slot float ops OR their flags into (-1: none)
        self.lines: list[str] = []
        self.bindings: dict[str, Any] = {}
        self.insn_lines: list[int] = []
        self.indent = 1
        self.uses_tlb = False

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def bind(self, name: str, value: Any) -> str:
        self.bindings[name] = value
        return name

    # -- operands --------------------------------------------------------------

    @staticmethod
    def val(t: Temp) -> str:
        if t.kind is TempKind.CONST:
            return str(t.value)
        if t.kind is TempKind.GLOBAL:
            return f"s[{t.offset >> 3}]"
        return f"t{t.index}"

    def helper(self, h: Helper) -> str:
        for name, value in self.bindings.items():
            if value is h:
                return name
        return self.bind(f"H{len(self.bindings)}_{h.name}", h.func)


def _cond(c: int, a: str, b: str, w: int) -> str:
    cond = Cond(c)
    s = 1 << (w - 1)
    if cond is Cond.ALWAYS:
        return "True"
    if cond is Cond.NEVER:
        return "False"
    if cond is Cond.TSTEQ:
        return f"not ({a} & {b})"
    if cond is Cond.TSTNE:
        return f"({a} & {b}) != 0"
    if cond.is_signed:
        a, b = f"({a} ^ {s})", f"({b} ^ {s})"
    op = _CMP_OPS[cond]
    return f"{a} {op} {b}"


def _float(em: _Emitter, opc: str, out: str, ins: list[str], consts: tuple, w: int) -> None:
    """Float ops: sign-bit ops inline, the rest through softfloat (exact IEEE)."""
    sign = 1 << (w - 1)
    if opc.startswith("fneg"):
        em.line(f"{out} = {ins[0]} ^ {sign}")
    elif opc.startswith("fabs"):
        em.line(f"{out} = {ins[0]} & {sign - 1}")
    elif em.fp_slot >= 0 and opc in RAISING:  # with its IEEE flags (``fpflags``)
        fn = em.bind(f"_sff_{opc}_{em.fp_slot}", flagged(opc, em.fp_slot))
        args = ", ".join(["s", *ins, *(str(int(c)) for c in consts)])
        em.line(f"{out} = {fn}({args})")
    else:
        fn = em.bind(f"_sf_{opc}", FLOAT_OPS[opc])
        args = ", ".join([*ins, *(str(int(c)) for c in consts)])
        em.line(f"{out} = {fn}({args})")


_CMP_OPS = {
    Cond.EQ: "==", Cond.NE: "!=", Cond.LT: "<", Cond.GE: ">=", Cond.LE: "<=", Cond.GT: ">",
    Cond.LTU: "<", Cond.GEU: ">=", Cond.LEU: "<=", Cond.GTU: ">",
}  # fmt: skip


def _sx(x: str, bits: int) -> str:
    s = 1 << (bits - 1)
    return f"(({x} ^ {s}) - {s})"


def _unary(base: str, a: str, w: int, m: int) -> str | None:
    if base == "mov":
        return a
    if base == "neg":
        return f"-{a} & {m}"
    if base == "not":
        return f"{a} ^ {m}"
    if base == "ctpop":
        return f"({a}).bit_count()"
    if base in ("bswap16", "bswap32", "bswap64"):
        n = {"bswap16": 2, "bswap32": 4, "bswap64": 8}[base]
        lo = f"{a} & {(1 << 8 * n) - 1}" if n * 8 < w else a
        return f"int.from_bytes(({lo}).to_bytes({n}, 'little'), 'big')"
    ext = {"ext8s": 8, "ext16s": 16, "ext32s": 32}.get(base)
    if ext is not None:
        return f"{_sx(f'({a} & {(1 << ext) - 1})', ext)} & {m}"
    ext = {"ext8u": 8, "ext16u": 16, "ext32u": 32}.get(base)
    if ext is not None:
        return f"{a} & {(1 << ext) - 1}"
    return None


def _binary(base: str, a: str, b: str, w: int, m: int) -> str | None:
    s = 1 << (w - 1)
    count = str(int(b) & (w - 1)) if b.isdigit() else f"({b} & {w - 1})"  # shift counts
    simple = {
        "add": f"({a} + {b}) & {m}",
        "sub": f"({a} - {b}) & {m}",
        "mul": f"({a} * {b}) & {m}",
        "and": f"{a} & {b}",
        "or": f"{a} | {b}",
        "xor": f"{a} ^ {b}",
        "andc": f"{a} & ({b} ^ {m})",
        "orc": f"{a} | ({b} ^ {m})",
        "eqv": f"{a} ^ {b} ^ {m}",
        "nand": f"({a} & {b}) ^ {m}",
        "nor": f"({a} | {b}) ^ {m}",
        "shl": f"({a} << {count}) & {m}",
        "shr": f"{a} >> {count}",
        "sar": f"((({a} ^ {s}) - {s}) >> {count}) & {m}",
        "muluh": f"({a} * {b}) >> {w}",
        "mulsh": f"(({_sx(a, w)} * {_sx(b, w)}) >> {w}) & {m}",
        "divu": f"({a} // {b} if {b} else 0)",
        "remu": f"({a} % {b} if {b} else {a})",
        "clz": f"({w} - ({a}).bit_length() if {a} else {b})",
        "ctz": f"(({a} & -{a}).bit_length() - 1 if {a} else {b})",
    }
    return simple.get(base)


def generate(ops: list[Op], tb_name: str = "tb", fp_slot: int = -1) -> Generated:
    """Python source of the function implementing ``ops``; float ops OR their IEEE
    flags into state slot ``fp_slot`` (-1: none)."""
    em = _Emitter(fp_slot)
    blocks = _split_blocks(ops)
    label_block = {id(lab): i for i, (lab, _) in enumerate(blocks) if lab is not None}
    backward = any(
        label_block[id(op.consts[-1])] <= i
        for i, (_, body) in enumerate(blocks)
        for op in body
        if op.opc == "br" or op.defn.base == "brcond"
    )
    # a block without a label is reached only by falling through from the block
    # before it (which then ends without a jump, or with a conditional branch);
    # the empty tail after an exit is unreachable and is not emitted
    live = [i == 0 or lab is not None or _falls_through(blocks[i - 1][1])
            for i, (lab, _) in enumerate(blocks)]  # fmt: skip
    needs_dispatch = sum(live) > 1
    if needs_dispatch:
        em.line("L = 0")
        if backward:
            em.line("while True:")
            em.indent += 1
    for i, (_, body) in enumerate(blocks):
        if not live[i]:
            continue
        guarded = needs_dispatch and (i > 0 or backward)
        if guarded:
            em.line(f"if L == {i}:")
            em.indent += 1
        start = len(em.lines)
        ended = False
        for op in body:
            ended = _op(em, op, label_block, i, backward)
        if not ended and needs_dispatch and i + 1 < len(blocks):
            em.line(f"L = {i + 1}")
        if not ended and i + 1 == len(blocks):
            em.line(f"return {EXIT_LOOKUP}")
        if len(em.lines) == start:
            em.line("pass")
        if guarded:
            em.indent -= 1
    if needs_dispatch and backward:
        em.line(f"return {EXIT_LOOKUP}")
    prologue = []
    if em.uses_tlb:
        prologue = ["    T = c.tlb.entries", "    LD = c.tlb.load", "    ST = c.tlb.store"]
    header = [f"def {tb_name}(s, c, _tb=None):", *prologue]
    offset = len(header) + 1  # lines are 1-based
    em.insn_lines = [n + offset for n in em.insn_lines]
    source = "\n".join(header + em.lines) + "\n"
    return Generated(source, em.bindings, em.insn_lines)


def _falls_through(body: list[Op]) -> bool:
    """Whether control can leave this block into the next one."""
    if not body:
        return True
    last = body[-1]
    return last.opc not in ("br", "exit_tb", "goto_ptr")


def _split_blocks(ops: list[Op]) -> list[tuple[Label | None, list[Op]]]:
    blocks: list[tuple[Label | None, list[Op]]] = [(None, [])]
    for op in ops:
        if op.opc == "set_label":
            blocks.append((op.consts[0], []))
            continue
        blocks[-1][1].append(op)
        if op.opc == "br" or op.defn.base == "brcond" or op.opc in ("exit_tb", "goto_ptr"):
            blocks.append((None, []))
    return blocks


def _jump(em: _Emitter, target: int, here: int, backward: bool) -> str:
    return f"L = {target}; continue" if backward and target <= here else f"L = {target}"


def _op(em: _Emitter, op: Op, label_block: dict[int, int], here: int, backward: bool) -> bool:
    """Emit one op; True when it ends the block's control flow."""
    opc = op.opc
    d = op.defn
    if opc == "insn_start":
        em.insn_lines.append(len(em.lines))
        return False
    if opc in ("goto_tb", "mb"):
        return False
    if opc == "exit_tb":
        em.line(f"return {op.consts[0]}")
        return True
    if opc == "goto_ptr":
        em.line(f"return {EXIT_LOOKUP}")
        return True
    if opc == "br":
        em.line(_jump(em, label_block[id(op.consts[0])], here, backward))
        return True
    if opc == "call":
        h: Helper = op.consts[0]
        args = ", ".join(["c", *(em.val(t) for t in op.ins)])
        call = f"{em.helper(h)}({args})"
        if op.n_out:
            out = op.outs[0]
            em.line(f"{em.val(out)} = {call} & {out.type.mask}")
        else:
            em.line(call)
        return False
    w = d.type.value if d.type is not None else 64
    m = (1 << w) - 1
    base = d.base
    ins = [em.val(t) for t in op.ins]
    outs = [em.val(t) for t in op.outs]
    consts = op.consts
    if base == "brcond":
        cond = _cond(consts[0], ins[0], ins[1], w)
        target = label_block[id(consts[1])]
        em.line(f"if {cond}:")
        em.line("    " + _jump(em, target, here, backward))
        em.line("else:")
        em.line(f"    L = {here + 1}")
        return True
    if base == "movi":
        em.line(f"{outs[0]} = {consts[0] & m}")
        return False
    if base in ("qemu_ld", "qemu_st"):
        _memory(em, op, w, m)
        return False
    if base.startswith("ld") or base.startswith("st"):
        _env_access(em, op, base, w, m)
        return False
    if opc in FLOAT_OPS:
        _float(em, opc, outs[0], ins, consts, w)
        return False
    if d.n_in == 1 and d.n_out == 1 and not consts:
        expr = _unary(base, ins[0], w, m)
        if expr is None:
            expr = _conversion(opc, ins[0])
        em.line(f"{outs[0]} = {expr}")
        return False
    if d.n_in == 2 and d.n_out == 1 and not consts:
        expr = _binary(base, ins[0], ins[1], w, m)
        if expr is not None:
            em.line(f"{outs[0]} = {expr}")
            return False
        if base in ("rotl", "rotr"):
            em.line(f"_n = {ins[1]} & {w - 1}")
            left, right = ("<<", ">>") if base == "rotl" else (">>", "<<")
            em.line(f"{outs[0]} = (({ins[0]} {left} _n) | ({ins[0]} {right} ({w} - _n))) & {m}")
            return False
        fn = em.bind(f"_sem_{base}", SEMANTICS[base])
        em.line(f"{outs[0]} = {fn}({w}, {ins[0]}, {ins[1]})[0] & {m}")
        return False
    if base == "setcond":
        em.line(f"{outs[0]} = 1 if {_cond(consts[0], ins[0], ins[1], w)} else 0")
        return False
    if base == "negsetcond":
        em.line(f"{outs[0]} = {m} if {_cond(consts[0], ins[0], ins[1], w)} else 0")
        return False
    if base == "movcond":
        cond = _cond(consts[0], ins[0], ins[1], w)
        em.line(f"{outs[0]} = {ins[2]} if {cond} else {ins[3]}")
        return False
    if base in ("extract", "sextract"):
        pos, n = consts
        check_field(op, pos, n, w)
        field_ = f"(({ins[0]} >> {pos}) & {(1 << n) - 1})"
        expr = field_ if base == "extract" else f"{_sx(field_, n)} & {m}"
        em.line(f"{outs[0]} = {expr}")
        return False
    if base == "deposit":
        pos, n = consts
        check_field(op, pos, n, w)
        f = ((1 << n) - 1) << pos
        em.line(f"{outs[0]} = ({ins[0]} & {m & ~f}) | (({ins[1]} << {pos}) & {f})")
        return False
    if base in ("mulu2", "muls2"):
        a, b = (ins[0], ins[1]) if base == "mulu2" else (_sx(ins[0], w), _sx(ins[1], w))
        em.line(f"_p = {a} * {b}")
        em.line(f"{outs[0]} = _p & {m}")
        em.line(f"{outs[1]} = (_p >> {w}) & {m}")
        return False
    if base in ("add2", "sub2"):
        sign = "+" if base == "add2" else "-"
        em.line(f"_p = (({ins[1]} << {w}) | {ins[0]}) {sign} (({ins[3]} << {w}) | {ins[2]})")
        em.line(f"{outs[0]} = _p & {m}")
        em.line(f"{outs[1]} = (_p >> {w}) & {m}")
        return False
    if base in CRYPTO_OPS:
        _crypto(em, base, outs, ins)
        return False
    raise CodegenError(f"the python host cannot emit {op!r}")


def _crypto(em: _Emitter, base: str, outs: list[str], ins: list[str]) -> None:
    name = em.bind(f"_crypto_{base}", crypto_reference(base))  # gives (lo, hi) in range
    em.line(f"{outs[0]}, {outs[1]} = {name}({', '.join(ins)})")


def _conversion(opc: str, a: str) -> str:
    if opc == "extrl_i64_i32":
        return f"{a} & {(1 << 32) - 1}"
    if opc == "extrh_i64_i32":
        return f"{a} >> 32"
    if opc == "extu_i32_i64":
        return a
    if opc == "ext_i32_i64":
        return f"{_sx(a, 32)} & {M64}"
    raise CodegenError(f"the python host cannot emit {opc}")


def _env_access(em: _Emitter, op: Op, base: str, w: int, m: int) -> None:
    offset = op.consts[0]
    n = ENV_SIZES.get(base, w // 8)
    slot, sub = divmod(offset, 8)
    if sub + n > 8 or offset % n:
        raise CodegenError(f"{op!r}: CPU-state access must be naturally aligned")
    sm = (1 << 8 * n) - 1
    if base.startswith("ld"):
        out = em.val(op.outs[0])
        expr = f"s[{slot}]" if sub == 0 and n == 8 else f"(s[{slot}] >> {8 * sub}) & {sm}"
        if base.endswith("s"):
            expr = f"{_sx(f'({expr})', 8 * n)} & {m}"
        em.line(f"{out} = {expr}")
        return
    v = em.val(op.ins[0])
    if n == 8:
        em.line(f"s[{slot}] = {v}")
        return
    keep = M64 & ~(sm << 8 * sub)
    em.line(f"s[{slot}] = (s[{slot}] & {keep}) | (({v} & {sm}) << {8 * sub})")


def _memory(em: _Emitter, op: Op, w: int, m: int) -> None:
    em.uses_tlb = True
    memop = op.consts[0]
    if op.defn.base == "qemu_st":
        memop &= ~MemOp.MO_SIGN
    size = 1 << (memop & MemOp.MO_SIZE)
    fmt, name = struct_name(memop)
    st = struct.Struct(fmt)
    if memop & MemOp.MO_ALIGN:
        key = f"_a & {PAGE_MASK | (size - 1)}"
    else:
        key = f"(_a + {size - 1}) & {PAGE_MASK}" if size > 1 else f"_a & {PAGE_MASK}"
    if op.defn.base == "qemu_ld":
        out = em.val(op.outs[0])
        unpack = em.bind(f"U{name}", st.unpack_from)
        em.line(f"_a = {em.val(op.ins[0])}")
        em.line(f"_e = T[(_a >> {PAGE_BITS}) & {TLB_MASK}]")
        em.line(f"if _e[0] == {key}:")
        mask = f" & {m}" if memop & MemOp.MO_SIGN or size * 8 > w else ""
        em.line(f"    {out} = {unpack}(_e[2], _a - _e[3])[0]{mask}")
        em.line("else:")
        em.line(f"    {out} = LD(_a, {int(memop)}) & {m}")
        return
    pack = em.bind(f"P{name}", st.pack_into)
    v = em.val(op.ins[0])
    vm = f"{v} & {(1 << 8 * size) - 1}" if size * 8 < w else v
    em.line(f"_a = {em.val(op.ins[1])}")
    em.line(f"_e = T[(_a >> {PAGE_BITS}) & {TLB_MASK}]")
    em.line(f"if _e[1] == {key}:")
    em.line(f"    {pack}(_e[2], _a - _e[3], {vm})")
    em.line("else:")
    em.line(f"    ST(_a, {v}, {int(memop)})")
