"""The random-encoding differential: random A64 words against Unicorn.

Owns the word filter (``candidate``: a word capstone decodes as a user-level,
non-SVE, non-SME, non-branch, non-system instruction), the random machine states
(``random_state``: general registers mostly pointing into the data page so that
loads and stores run, vector registers from FP edge values and random bits,
NZCV, FPCR's rounding mode and, in a quarter of the states, FPCR.DN), one word's
run on both engines (``run_both``) and the verdict (``Outcome``):

* ``same``: both ran it and every general and vector register, SP, NZCV,
  FPSR and the data page agree, or both refused it the same way;
* ``unimplemented``: Unicorn ran it (to its end or to a memory fault) and tcgkit
  refused it as an invalid instruction (what docs/a64-coverage.md lists as
  missing or partial);
* ``mismatch``: anything else -- different results, a fault on one side only,
  or tcgkit running a word Unicorn refuses. Unicorn reports some aborts (an LSE
  atomic's on unmapped memory) as an unhandled CPU exception: that and any
  refusal of tcgkit's count as refused alike.

Both sides emulate one CPU model, ``cpu`` (a name of ``cpu_models.MODELS``: tcgkit's
model of that name against Unicorn's UC_CPU_ARM64_* of the same model; default
``max``): under ``cortex-a72`` the words of the features it lacks must be refused
by both.

FPSR is compared whole (N Z C V QC and the cumulative IEEE flags IOC DZC OFC UFC
IXC IDC), except the IEEE flags of the words ``flags_inexact`` names (where Unicorn
is not the Arm ARM).
Used by
``tests/test_random_encodings.py`` (a bounded count) and
``scripts/a64_fuzz.py`` (tens of thousands, with the tallies). Needs the test
dependencies unicorn and capstone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import capstone
from tcgkit import PROT_ALL, EmulationError, Emulator, InvalidInstructionError
from tcgkit.errors import UnalignedAccessError, UnmappedMemoryError
from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc, UcError
from unicorn import arm64_const as A
from unicorn import unicorn_const as U

from .cpu_models import MODELS

CODE = 0x10000
DATA = 0x80000
DATA_SIZE = 0x4000
FPSR_QC = 1 << 27

_MD = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
_MD.detail = True
_BRANCHY = {capstone.CS_GRP_JUMP, capstone.CS_GRP_CALL, capstone.CS_GRP_RET,
            capstone.CS_GRP_INT, capstone.CS_GRP_IRET, capstone.CS_GRP_PRIVILEGE,
            capstone.CS_GRP_BRANCH_RELATIVE}  # fmt: skip

F32_EDGES = [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7FA00001, 0x00000001,
             0x3F800000, 0xBF800000, 0x7F7FFFFF, 0x00800000, 0x4F000000]  # fmt: skip
F64_EDGES = [0, 1 << 63, 0x7FF0 << 48, 0xFFF0 << 48, 0x7FF8 << 48, 0x7FF4000000000001, 1,
             0x3FF0 << 48, 0xBFF0 << 48, 0x7FEFFFFFFFFFFFFF, 0x10 << 48, 0x43E0 << 48]  # fmt: skip
H_EDGES = [0, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7D01, 0x0001, 0x3C00, 0xBC00, 0x7BFF, 0x0400]


def unicorn_deviates(word: int) -> bool:
    """Words where Unicorn 2.1 (QEMU 5) is known to differ from the Arm ARM, so it
    cannot be the oracle: LDSMAX/LDSMIN of bytes, halfwords and words compare their
    operands without sign-extending them from the access size (``test_instructions``'s
    ``test_narrow_signed_min_max_sign_extend_both_operands`` checks tcgkit there)."""
    lse = word & 0x3F200C00 == 0x38200000  # size 111 V 00 A R 1 Rs o3 opc 00 Rn Rt
    opc, o3, size = (word >> 12) & 7, (word >> 15) & 1, word >> 30
    return lse and not o3 and opc in (4, 5) and size < 3


def candidate(word: int) -> str | None:
    """The capstone text of ``word`` if the differential takes it, else None."""
    op0 = (word >> 25) & 0xF
    if op0 == 0b0010 or (word >> 31 and op0 == 0):  # SVE, SME
        return None
    if (word >> 22) == 0b1101010100 or (word >> 24) == 0xD4:  # system, exceptions
        return None
    if unicorn_deviates(word):
        return None
    insns = list(_MD.disasm(word.to_bytes(4, "little"), CODE))
    if len(insns) != 1:
        return None
    insn = insns[0]
    if _BRANCHY.intersection(insn.groups) or insn.mnemonic in ("br", "blr", "ret", "eret"):
        return None
    return f"{insn.mnemonic} {insn.op_str}".strip()


def random_word(rng: random.Random) -> tuple[int, str]:
    """A random word that ``candidate`` takes, and its text."""
    while True:
        word = rng.getrandbits(32)
        text = candidate(word)
        if text is not None:
            return word, text


@dataclass
class State:
    regs: list[int]  # x0..x30
    sp: int
    vregs: list[int]  # q0..q31
    nzcv: int
    fpcr: int
    data: bytes


def _lane_vector(rng: random.Random) -> int:
    bits = rng.choice([16, 32, 64, 128])
    if bits == 128:
        return rng.getrandbits(128)
    edges = {16: H_EDGES, 32: F32_EDGES, 64: F64_EDGES}[bits]
    v = 0
    for i in range(128 // bits):
        lane = rng.choice(edges) if rng.random() < 0.6 else rng.getrandbits(bits)
        v |= lane << (i * bits)
    return v


def _fpcr_modes(rng: random.Random) -> int:
    """FPCR.FZ16 and FPCR.FZ (flush to zero), FPCR.DN (default-NaN mode) and FPCR.AHP
    (the alternative half-precision format), each in a quarter of the states."""
    return sum(1 << bit for bit in (19, 24, 25, 26) if rng.random() < 0.25)


def random_state(rng: random.Random) -> State:
    regs = []
    for _ in range(31):
        r = rng.random()
        if r < 0.6:  # an address in the data page, 16-byte aligned or not
            regs.append(DATA + 0x1000 + rng.randrange(0x2000) & ~(0 if rng.random() < 0.3 else 15))
        elif r < 0.8:
            regs.append(rng.choice([0, 1, 2, 0xFFFFFFFF, 0x80000000, (1 << 64) - 1, 1 << 63, 7]))
        else:
            regs.append(rng.getrandbits(64))
    data = bytes(rng.getrandbits(8) for _ in range(DATA_SIZE))
    fpcr = rng.getrandbits(2) << 22 | _fpcr_modes(rng)
    return State(regs, DATA + 0x2000, [_lane_vector(rng) for _ in range(32)],
                 rng.getrandbits(4) << 28, fpcr, data)  # fmt: skip


@dataclass
class Result:
    error: str | None  # None if the word ran; else the kind of fault
    regs: list[int]
    sp: int
    vregs: list[int]
    nzcv: int
    fpsr: int
    data: bytes


def _uc_error(e: UcError) -> str:
    return {U.UC_ERR_INSN_INVALID: "invalid", U.UC_ERR_EXCEPTION: "exception",
            U.UC_ERR_READ_UNMAPPED: "unmapped", U.UC_ERR_WRITE_UNMAPPED: "unmapped",
            U.UC_ERR_FETCH_UNMAPPED: "unmapped", U.UC_ERR_READ_UNALIGNED: "unaligned",
            U.UC_ERR_WRITE_UNALIGNED: "unaligned"}.get(e.errno, f"uc{e.errno}")  # fmt: skip


#: Unicorn's ids of x0..x30 (x29 and x30 are FP and LR, apart from the others)
_X = [A.UC_ARM64_REG_X0 + i for i in range(29)] + [A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30]


def unicorn_cpu(cpu: str) -> int:
    """Unicorn's UC_CPU_ARM64_* number of tcgkit's CPU model ``cpu``."""
    model = MODELS.get(cpu)
    number = getattr(model, "unicorn_cpu", None)
    if number is None:
        raise ValueError(f"no Unicorn CPU model matches {cpu!r}; models: {', '.join(MODELS)}")
    return int(number)


def run_unicorn(word: int, s: State, cpu: str = "max") -> Result:
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(unicorn_cpu(cpu))
    uc.mem_map(CODE, 0x1000)
    uc.mem_map(DATA, DATA_SIZE)
    uc.mem_write(CODE, word.to_bytes(4, "little"))
    uc.mem_write(DATA, s.data)
    for i, v in enumerate(s.regs):
        uc.reg_write(
            A.UC_ARM64_REG_X0 + i if i < 29 else (A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30)[i - 29], v
        )
    uc.reg_write(A.UC_ARM64_REG_SP, s.sp)
    for i, v in enumerate(s.vregs):
        uc.reg_write(A.UC_ARM64_REG_Q0 + i, v)
    uc.reg_write(A.UC_ARM64_REG_NZCV, s.nzcv)
    uc.reg_write(A.UC_ARM64_REG_FPCR, s.fpcr)
    uc.reg_write(A.UC_ARM64_REG_FPSR, 0)
    error = None
    try:
        uc.emu_start(CODE, CODE + 4, count=1)
    except UcError as e:
        error = _uc_error(e)
    return Result(error, [uc.reg_read(r) for r in _X], uc.reg_read(A.UC_ARM64_REG_SP),
                  [uc.reg_read(A.UC_ARM64_REG_Q0 + i) for i in range(32)],
                  uc.reg_read(A.UC_ARM64_REG_NZCV), uc.reg_read(A.UC_ARM64_REG_FPSR),
                  bytes(uc.mem_read(DATA, DATA_SIZE)))  # fmt: skip


def run_tcgkit(word: int, s: State, host: str, tier_up: int = 0, cpu: str = "max") -> Result:
    with Emulator("aarch64", host=host, tier_up=tier_up, cpu=cpu) as emu:
        emu.mem_map(CODE, 0x1000, PROT_ALL)
        emu.mem_map(DATA, DATA_SIZE, PROT_ALL)
        emu.mem_write(CODE, word.to_bytes(4, "little"))
        emu.mem_write(DATA, s.data)
        for i, v in enumerate(s.regs):
            emu.reg_write(f"x{i}", v)
        emu.reg_write("sp", s.sp)
        for i, v in enumerate(s.vregs):
            emu.reg_write(f"q{i}", v)
        emu.reg_write("nzcv", s.nzcv)
        emu.reg_write("fpcr", s.fpcr)
        emu.reg_write("fpsr", 0)
        error = None
        try:
            emu.emu_start(CODE, CODE + 4, count=1)
        except InvalidInstructionError:
            error = "invalid"
        except UnmappedMemoryError:
            error = "unmapped"
        except UnalignedAccessError:
            error = "unaligned"
        except EmulationError as e:
            error = type(e).__name__
        return Result(error, [emu.reg_read(f"x{i}") for i in range(31)], emu.reg_read("sp"),
                      [emu.reg_read(f"q{i}") for i in range(32)], emu.reg_read("nzcv"),
                      emu.reg_read("fpsr"), bytes(emu.mem_read(DATA, DATA_SIZE)))  # fmt: skip


#: FPSR's bits: N Z C V QC, and the cumulative IEEE flags IOC DZC OFC UFC IXC IDC
FPSR_BITS = 0xF800009F


def flags_inexact(text: str) -> bool:
    """Whether the IEEE flags of the instruction ``text`` (capstone's) cannot be
    compared: FCMLA by element on four halves, where Unicorn 2.1 (QEMU 5) computes all
    eight lanes of the registers and raises the flags of the four the instruction does
    not have."""
    mnemonic, _, ops = text.partition(" ")
    return mnemonic == "fcmla" and ".4h" in ops and "[" in ops


def differences(got: Result, want: Result, text: str = "") -> list[str]:
    """What differs between tcgkit's result and Unicorn's (FPSR: whole, but the IEEE
    flags of the instruction ``text`` when ``flags_inexact`` says so)."""
    out = []
    for name, mine, theirs in (("x", got.regs, want.regs), ("q", got.vregs, want.vregs)):
        out += [f"{name}{i}: tcgkit {g:#x} unicorn {w:#x}"
                for i, (g, w) in enumerate(zip(mine, theirs, strict=True)) if g != w]  # fmt: skip
    if got.sp != want.sp:
        out.append(f"sp: tcgkit {got.sp:#x} unicorn {want.sp:#x}")
    if got.nzcv != want.nzcv:
        out.append(f"nzcv: tcgkit {got.nzcv:#x} unicorn {want.nzcv:#x}")
    mask = FPSR_BITS & ~0x9F if flags_inexact(text) else FPSR_BITS
    if (got.fpsr ^ want.fpsr) & mask:
        out.append(f"fpsr: tcgkit {got.fpsr:#x} unicorn {want.fpsr:#x}")
    if got.data != want.data:
        at = next(i for i in range(DATA_SIZE) if got.data[i] != want.data[i])
        out.append(f"memory differs first at {DATA + at:#x}")
    return out


@dataclass
class Outcome:
    verdict: str  # "same", "unimplemented" or "mismatch"
    detail: list[str]


def run_both(word: int, s: State, host: str, tier_up: int = 0, cpu: str = "max") -> Outcome:
    """The verdict on ``word`` run from ``s`` by CPU model ``cpu`` on both engines."""
    want = run_unicorn(word, s, cpu)
    got = run_tcgkit(word, s, host, tier_up, cpu)
    if got.error == "invalid" and want.error not in ("invalid", "exception"):
        return Outcome("unimplemented", [])  # Unicorn ran it (to its end or a fault)
    if want.error == "exception" and got.error in ("invalid", "unmapped", "unaligned"):
        return Outcome("same", [])  # Unicorn reports some aborts as a CPU exception
    if got.error != want.error:
        return Outcome(
            "mismatch", [f"tcgkit: {got.error or 'ran'}, unicorn: {want.error or 'ran'}"]
        )
    if got.error is not None:  # refused alike: what a fault left behind is not compared
        return Outcome("same", [])
    diffs = differences(got, want, candidate(word) or "")
    return Outcome("mismatch" if diffs else "same", diffs)
