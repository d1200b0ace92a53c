"""The differential oracle: run A64 code on tcgkit and on Unicorn from the same
registers and memory, and compare everything architectural.

Owns ``Machine`` (an initial or final architectural state), ``assemble``
(keystone) and the encoders of what keystone predates (``lse``, ``cas``,
``casp``), ``run_unicorn``, ``run_tcgkit`` and ``compare``, and ``run_fz_loop``
(a float loop under FPCR.FZ, for the tests that count what leaves generated code). It needs the
test dependencies ``unicorn`` and ``keystone-engine``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from keystone import KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN, Ks
from tcgkit import PROT_ALL, Emulator
from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc
from unicorn import arm64_const as A

CODE = 0x10000
DATA = 0x80000
DATA_SIZE = 0x10000
GPRS = [f"x{i}" for i in range(31)]


def assemble(text: str) -> bytes:
    ks = Ks(KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN)
    encoding, _ = ks.asm(text, CODE)
    if encoding is None:
        raise ValueError(f"keystone cannot assemble {text!r}")
    return bytes(encoding)


#: products, quotients, fused ops and a narrowing conversion under FPCR.FZ, x2 times
FZ_LOOP = """
    msr fpcr, x0
loop:
    fmul d16, d0, d1; fdiv d17, d0, d2; fmadd d18, d0, d1, d2; fcvt s19, d0
    fmul v20.4s, v4.4s, v5.4s; fmla v21.4s, v4.4s, v5.4s; fdiv s22, s4, s5
    subs x2, x2, #1
    b.ne loop
"""


def run_fz_loop(emu: Emulator, tiny: bool = False) -> None:
    """Run ``FZ_LOOP`` on ``emu``: first (``tiny`` false) mapped at ``CODE`` with
    ordinary operands (d0 1.5, d1 2.5, d2 -4, 1.5f and 2.5f in every lane of v4, v5),
    100 times; with ``tiny``, once more with d0 2^-1021 (d0 / d2 and s19 are tiny, d0 *
    d1 and the fused sum are normal)."""
    code = assemble(FZ_LOOP)
    if tiny:
        regs = {"q0": 0x0020000000000000, "x2": 1}
    else:
        emu.mem_map(CODE, 0x10000)
        emu.mem_write(CODE, code)
        lanes = 1 | 1 << 32 | 1 << 64 | 1 << 96
        regs = {"x0": 1 << 24, "x2": 100, "q0": 0x3FF8000000000000, "q1": 0x4004000000000000,
                "q2": 0xC010000000000000, "q4": 0x3FC00000 * lanes,
                "q5": 0x40200000 * lanes}  # fmt: skip
    for reg, value in regs.items():
        emu.reg_write(reg, value)
    emu.emu_start(CODE, CODE + len(code))


def lse(size: int, opc: int, o3: int, rs: int, rn: int, rt: int, ar: int = 0) -> bytes:
    """An LSE atomic memory operation (keystone predates them)."""
    word = size << 30 | 0b111000 << 24 | ar << 22 | 1 << 21 | rs << 16 | o3 << 15 | opc << 12
    return (word | rn << 5 | rt).to_bytes(4, "little")


def cas(size: int, rs: int, rn: int, rt: int, acquire: int = 0) -> bytes:
    word = size << 30 | 0b0010001 << 23 | acquire << 22 | 1 << 21 | rs << 16 | 0b11111 << 10
    return (word | rn << 5 | rt).to_bytes(4, "little")


def casp(sz: int, rs: int, rn: int, rt: int, acquire: int = 0, release: int = 0) -> bytes:
    word = sz << 30 | 0b0010000 << 23 | acquire << 22 | 1 << 21 | rs << 16 | release << 15
    return (word | 0b11111 << 10 | rn << 5 | rt).to_bytes(4, "little")


@dataclass
class Machine:
    regs: dict[str, int]
    nzcv: int
    vregs: list[int]
    data: bytes = field(repr=False)


def _uc_reg(name: str) -> int:
    return getattr(A, f"UC_ARM64_REG_{name.upper()}")


def run_unicorn(code: bytes, m: Machine) -> Machine:
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)  # ARMv8.x: LSE atomics and friends
    uc.mem_map(CODE, 0x10000)
    uc.mem_map(DATA, DATA_SIZE)
    uc.mem_write(CODE, code)
    uc.mem_write(DATA, m.data)
    for name, v in m.regs.items():
        uc.reg_write(_uc_reg(name), v)
    uc.reg_write(A.UC_ARM64_REG_NZCV, m.nzcv)
    for i, v in enumerate(m.vregs):
        uc.reg_write(_uc_reg(f"q{i}"), v)
    uc.emu_start(CODE, CODE + len(code))
    return Machine({n: uc.reg_read(_uc_reg(n)) for n in m.regs}, uc.reg_read(A.UC_ARM64_REG_NZCV),
                   [uc.reg_read(_uc_reg(f"q{i}")) for i in range(len(m.vregs))],
                   bytes(uc.mem_read(DATA, DATA_SIZE)))  # fmt: skip


#: ``Emulator(tier_up=...)`` of the two ways tcgkit runs a TB: compiled by the host
#: backend at once, or interpreted (tier 0) for good
TIERS = {"compiled": 0, "interpreted": 1 << 30}


def run_tcgkit(code: bytes, m: Machine, host: str | None = None, cpus: int = 1,
               tier: str = "compiled", host_ops: frozenset[str] | None = None
               ) -> Machine:  # fmt: skip
    """Run on vCPU 0 of an emulator with ``cpus`` vCPUs (from 2 on, TBs are translated
    for parallel vCPUs: atomics through ``tcgkit.exec.atomic``), its TBs run as
    ``tier`` says (``TIERS``), on ``host`` (the test host, ``test_host()``, unless
    given); ``host_ops``: the optional IR ops the translator may use instead of the
    host's (a subset of them: what a host without the others is given)."""
    with Emulator("aarch64", host=host or test_host(), tier_up=TIERS[tier]) as emu:
        if host_ops is not None:
            emu.engine.host.optional_ops = emu.engine.host.optional_ops & host_ops
        for _ in range(cpus - 1):
            emu.add_cpu()
        emu.mem_map(CODE, 0x10000, PROT_ALL)
        emu.mem_map(DATA, DATA_SIZE, PROT_ALL)
        emu.mem_write(CODE, code)
        emu.mem_write(DATA, m.data)
        for name, v in m.regs.items():
            emu.reg_write(name, v)
        emu.reg_write("nzcv", m.nzcv)
        for i, v in enumerate(m.vregs):
            emu.reg_write(f"q{i}", v)
        emu.emu_start(CODE, CODE + len(code))
        return Machine({n: emu.reg_read(n) for n in m.regs}, emu.reg_read("nzcv"),
                       [emu.reg_read(f"q{i}") for i in range(len(m.vregs))],
                       bytes(emu.mem_read(DATA, DATA_SIZE)))  # fmt: skip


def test_host() -> str:
    """The host backend differential tests run on: ``TCGKIT_TEST_HOST`` or python."""
    return os.environ.get("TCGKIT_TEST_HOST", "python")


def compare(code: bytes, m: Machine, host: str | None = None, cpus: int = 1,
            host_ops: frozenset[str] | None = None) -> None:  # fmt: skip
    """``code`` run from ``m`` ends in the same state on tcgkit as on Unicorn, with
    its TBs compiled by ``host`` and with them interpreted (tier 0); ``host_ops`` as
    ``run_tcgkit``'s."""
    want = run_unicorn(code, m)
    for tier in TIERS:
        _same(run_tcgkit(code, m, host or test_host(), cpus, tier, host_ops), want, m, tier)


def _same(got: Machine, want: Machine, m: Machine, tier: str) -> None:
    diffs = [f"{n}: tcgkit {got.regs[n]:#x} unicorn {want.regs[n]:#x}"
             for n in m.regs if got.regs[n] != want.regs[n]]  # fmt: skip
    if got.nzcv != want.nzcv:
        diffs.append(f"nzcv: tcgkit {got.nzcv:#x} unicorn {want.nzcv:#x}")
    pairs = enumerate(zip(got.vregs, want.vregs, strict=True))
    diffs += [f"q{i}: tcgkit {g:#x} unicorn {w:#x}" for i, (g, w) in pairs if g != w]
    if got.data != want.data:
        first = next(i for i in range(DATA_SIZE) if got.data[i] != want.data[i])
        diffs.append(f"memory differs first at {DATA + first:#x}")
    assert not diffs, f"{tier} TBs:\n" + "\n".join(diffs)
