"""``atomic_fetch_i64`` lowered to Power, checked on any machine (the emulated
tests run it): the code disassembles (capstone), the access is an l?arx / st?cx.
reservation loop of the access size between two syncs whose retry branch is a
``bne-`` back to the l?arx, the output register is apart from the address and
the operand, the slow path passes the operation in slow_cmpxchg's memop, and the
loop's instructions, evaluated here over every ``AtomicOp`` at every size, store
``atomic_update(aop, old, value)`` and leave the old value zero-extended."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.exec.atomic import FETCH_SHIFT
from tcgkit.native.backend import Runtime
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.semantics import atomic_update
from tcgkit.tcg.types import I64, AtomicOp, MemOp
from tcgkit_host_ppc.backend import PPC64Host, allocator
from tcgkit_host_ppc.features import HostFeatures
from tcgkit_host_ppc.lower import lower

capstone = pytest.importorskip("capstone")
MD = capstone.Cs(capstone.CS_ARCH_PPC, capstone.CS_MODE_64 | capstone.CS_MODE_LITTLE_ENDIAN)
M64 = (1 << 64) - 1
U64 = st.integers(0, M64)
SLOW_CMPXCHG = 0x12_0000  # the callback's address, as the stub loads it
#: the compute between the l?arx and the st?cx., by AtomicOp (min/max: per size below)
COMPUTE = {AtomicOp.XCHG: [], AtomicOp.ADD: ["add"], AtomicOp.AND: ["and"],
           AtomicOp.OR: ["or"], AtomicOp.XOR: ["xor"]}  # fmt: skip


def disassembly(log2: int, aop: int) -> list[tuple[int, str, list[str]]]:
    """(address, mnemonic, operands) of a TB: out (global 2) <- atomic_fetch of the
    address in global 0 with the value in global 1."""
    ctx = TCGContext(64)
    addr, value, out = (ctx.new_global(I64, 8 * i, n) for i, n in enumerate(("a", "v", "o")))
    ctx.freeze()
    ctx.emit("atomic_fetch_i64", out, addr, value, log2, 0, aop)
    ctx.emit("exit_tb", EXIT_LOOKUP)
    rt = Runtime(0x1_0000, 0x2_0000, lambda opc, consts: 0, None, SLOW_CMPXCHG)
    features = HostFeatures(isa206=True, isa207=True)
    code = lower(allocate(ctx.ops, allocator()), 1, 0, rt, lambda op: 0, features).code
    insns = [(i.address, i.mnemonic, [o.strip() for o in i.op_str.split(",") if o.strip()])
             for i in MD.disasm(code, 0)]  # fmt: skip
    assert 4 * len(insns) == len(code), "capstone could not decode all of it"
    return insns


def loaded(insns: list, offset: int) -> str:
    """The register the TB loads the global at ``offset`` of the state into."""
    return next(ops[0] for _, m, ops in insns if m == "ld" and ops[1] == f"{offset}(r27)")


def loop(insns: list) -> tuple[int, int]:
    """Indices of the l?arx and of the bne- that closes its loop."""
    start = next(i for i, (_, m, _) in enumerate(insns) if m.endswith("arx"))
    end = next(i for i, (_, m, _) in enumerate(insns) if m == "bne-")
    assert int(insns[end][2][0], 0) == insns[start][0], "the retry goes back to the l?arx"
    return start, end


@pytest.mark.parametrize("aop", list(AtomicOp))
@pytest.mark.parametrize("log2", range(4))
def test_the_loop_and_its_slow_path(log2: int, aop: AtomicOp) -> None:
    insns = disassembly(log2, aop)
    c = "bhwd"[log2]
    start, end = loop(insns)
    addr, value = loaded(insns, 0), loaded(insns, 8)
    d = insns[start][2][0]
    assert insns[start][1:] == (f"l{c}arx", [d, "0", "r11"])
    assert insns[start - 1][1] == "sync" and insns[end + 1][1] == "sync"
    assert insns[end - 1][1] == f"st{c}cx."
    assert d not in (addr, value, "r0", "r11", "r12")
    assert [m for _, m, _ in insns].count("sync") == 2
    body = [m for _, m, _ in insns[start + 1 : end - 1]]
    if aop in COMPUTE:
        assert body == COMPUTE[aop]
        assert insns[end - 1][2][0] == (value if aop == AtomicOp.XCHG else "r12")
    else:
        signed = aop in (AtomicOp.SMAX, AtomicOp.SMIN)
        cmp = ("cmp" if signed else "cmpl") + ("d" if log2 == 3 else "w")
        ext = ["extsb" if log2 == 0 else "extsh"] if signed and log2 < 2 else []
        assert body == [*ext, cmp, "isel"]
        bit = "cr0lt" if aop in (AtomicOp.SMAX, AtomicOp.UMAX) else "cr0gt"
        assert insns[end - 2][2] == ["r12", value, d, bit]
    memop = log2 | MemOp.MO_ALIGN | (aop + 1) << FETCH_SHIFT
    listing = [(m, o) for _, m, o in insns]
    assert ("li", ["r7", hex(memop)]) in listing  # slow_cmpxchg's memop
    assert ("li", ["r5", "0"]) in listing  # expected: not used
    call = listing.index(("mtctr", ["r12"]))
    assert listing[call - 1] == ("lis", ["r12", hex(SLOW_CMPXCHG >> 16)])


def _sx(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def run_loop(insns: list, old: int, value: int, log2: int) -> tuple[int, int]:
    """Evaluate the code from the host address to the loop's st?cx. (one pass, the
    reservation held): (the register the l?arx wrote, the value stored)."""
    regs = {loaded(insns, 8): value, "r0": 0xBAD0, "r12": 0xBAD12}
    cr: dict[str, bool] = {}
    start, end = loop(insns)
    host = ["r11", loaded(insns, 0), "r11"]  # the host address: addr + the addend
    first = next(i for i, (_, m, o) in enumerate(insns) if m == "add" and o == host)
    bits = 8 << log2
    d = insns[start][2][0]
    for _, m, ops in insns[first + 1 : end]:
        v = [regs.get(o, 0) for o in ops]
        if m == "sync":
            continue
        if m.endswith("arx"):
            regs[ops[0]] = old & ((1 << bits) - 1)
        elif m.startswith("st") and m.endswith("cx."):
            return regs[d], v[0] & ((1 << bits) - 1)
        elif m in ("add", "and", "or", "xor"):
            f = {"add": lambda a, b: a + b, "and": lambda a, b: a & b,
                 "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b}[m]  # fmt: skip
            regs[ops[0]] = f(v[1], v[2]) & M64
        elif m in ("extsb", "extsh"):
            regs[ops[0]] = _sx(v[1], 8 if m == "extsb" else 16) & M64
        elif m == "clrldi":
            regs[ops[0]] = v[1] & (M64 >> int(ops[2], 0))
        elif m in ("cmpw", "cmplw", "cmpd", "cmpld"):
            w = 64 if m.endswith("d") else 32
            a, b = v[0] & ((1 << w) - 1), v[1] & ((1 << w) - 1)
            if m in ("cmpw", "cmpd"):
                a, b = _sx(a, w), _sx(b, w)
            cr = {"cr0lt": a < b, "cr0gt": a > b, "cr0eq": a == b}
        elif m == "isel":
            regs[ops[0]] = v[1] if cr[ops[3]] else v[2]
        else:
            raise AssertionError(f"unexpected {m} {ops}")
    raise AssertionError("no st?cx.")


_CODE = {(n, aop): disassembly(n, aop) for n in range(4) for aop in AtomicOp}
EDGES = st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
                         0x80000000, 0xFFFFFFFF, 1 << 63, M64 >> 1, M64])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(log2=st.integers(0, 3), aop=st.sampled_from(list(AtomicOp)), old=EDGES | U64,
       value=EDGES | U64, garbage=U64)  # fmt: skip
def test_the_loop_computes_atomic_update(log2: int, aop: AtomicOp, old: int, value: int,
                                         garbage: int) -> None:  # fmt: skip
    """Bits above the access size in the operand (a guest register) do not matter."""
    bits = 8 << log2
    m = (1 << bits) - 1
    operand = value & m | garbage & ~m & M64
    out, stored = run_loop(_CODE[(log2, aop)], old, operand, log2)
    assert out == old & m
    assert stored == atomic_update(aop, old, value, bits)


def test_the_host_lists_the_op() -> None:
    assert "atomic_fetch_i64" in PPC64Host.optional_ops
