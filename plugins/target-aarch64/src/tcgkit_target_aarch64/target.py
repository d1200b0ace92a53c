"""The AArch64 guest target: globals, register access, flags, conditions, exits.

Owns ``AArch64Target`` (the GuestTarget the plugin registers) and the small
IR-building vocabulary every translator module uses: reading a general
register as XZR or SP, writing one with the 32-bit zero extension, setting
NZCV from an addition or subtraction, testing a condition code, and leaving
the TB (direct jumps chain through goto_tb, indirect ones through goto_ptr, setting
PSTATE.BTYPE where BTI is tracked). Also the TB flags: FPCR's modes, and those of
pointer authentication and BTI with PSTATE.BTYPE, which bits 30:27 of the FPCR slot
keep (``sync_modes`` derives the first two from SCTLR_EL1 and TCR_EL1; FPCR as MRS,
MSR and ``reg_read``/``reg_write`` see it never shows them), and the composed
registers ``nzcv`` and ``pstate`` (NZCV with BTYPE in bits 11:10).

Decoding is table-driven (``decode``); the instruction classes live in
``trans_dp`` (data processing, branches, system) and ``trans_mem`` (loads,
stores, atomics). An encoding no table entry claims raises
InvalidInstructionError with the pc and the word; so does one of a feature the
emulator's CPU model (``cpu_models``; default ``max``) lacks, its decoder made
once per instance (``decode.decoder_for``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from tcgkit.errors import GuestInterrupt, UnalignedAccessError
from tcgkit.exec.cpu import CPU
from tcgkit.hooks import MEM_FETCH
from tcgkit.target import DisasContext, GuestTarget
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ir import Helper, Temp
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.types import I64, CallFlags, Cond

from . import cpu_models as models
from . import state as S
from . import trans_bti as bti
from . import trans_pauth as pauth
from .aliases import COND_ALWAYS, COND_EQ, COND_GE, COND_GEU, COND_LT, COND_NE, JMP_NORETURN
from .decode import Handler, decode, decoder_for
from .flush_zero import flush_insn

#: read for every TB lookup (``tb_flags``): a compiled constant, not a module attribute
_SLOT_FPCR: Final = S.SLOT_FPCR

M64: Final = (1 << 64) - 1


def _raise_svc(cpu: object) -> None:
    raise GuestInterrupt(2)


def _raise_brk(cpu: object) -> None:
    raise GuestInterrupt(7)  # Unicorn reports brk as EXCP_BKPT (7)


#: each condition's inverse, by number (no call into the enum machinery per branch)
_INVERTED: Final = tuple(c.invert() for c in Cond)
HELPER_SVC: Final = Helper("a64_svc", _raise_svc, CallFlags.NO_WRITE_GLOBALS)
HELPER_BRK: Final = Helper("a64_brk", _raise_brk, CallFlags.NO_WRITE_GLOBALS)


class AArch64Target(GuestTarget):
    """AArch64 user mode (A64)."""

    # class attributes (ClassVar: discovery reads them from the class, which a class
    # compiled by mypyc would otherwise turn into instance attributes)
    name: ClassVar[str] = "aarch64"
    state_size: ClassVar[int] = S.STATE_SIZE
    pc_offset: ClassVar[int] = 8 * S.SLOT_PC
    registers: ClassVar = S.REGISTERS
    linux_abi: ClassVar = S.LINUX_ABI
    max_insns: ClassVar[int] = 512
    insn_size_max: ClassVar[int] = 4
    unicorn_arch: ClassVar[int | None] = 2  # UC_ARCH_ARM64 (tcgkit.unicorn; see unicorn_regs)
    cpu_models: ClassVar = models.MODELS
    default_cpu: ClassVar[str | None] = models.DEFAULT

    def __init__(self, cpu: str | None = None) -> None:
        super().__init__(cpu)
        model = self.cpu_model
        assert isinstance(model, models.A64CPUModel)
        #: MRS's values of the ID registers (``trans_dp.mrs``)
        self.id_regs: Mapping[tuple[int, int, int, int, int], int] = model.id_regs
        #: the helpers of float ops under FPCR.FZ/FZ16 (``flush_zero``): by ("fz", opcode,
        #: constants) the op under FZ (``fz_helper``), by (opcode, threshold) FZ16's
        #: exact tininess tests (``tiny_helper``)
        self.fz_helpers: dict[tuple[Any, ...], Helper] = {}
        # the model's decoder, or None for one with every gated feature (``max``): then
        # ``translate_insn`` calls ``decode`` directly, a native call when compiled
        decoder = decoder_for(model.features)
        self._decode: Callable[[int], Handler | None] | None = (
            None if decoder is decode else decoder)  # fmt: skip
        #: the guarded pages (PROT_BTI) of this emulator's memory (``trans_bti``)
        self.guarded = bti.GuardedPages()

    # -- globals -------------------------------------------------------------------

    def init_globals(self, ctx: TCGContext) -> None:
        g = ctx.new_global
        self.x = [g(I64, 8 * i, f"x{i}") for i in range(31)]
        self.sp = g(I64, 8 * S.SLOT_SP, "sp")
        self.pc = g(I64, 8 * S.SLOT_PC, "pc")
        self.nf = g(I64, 8 * S.SLOT_NF, "NF")
        self.zf = g(I64, 8 * S.SLOT_ZF, "ZF")
        self.cf = g(I64, 8 * S.SLOT_CF, "CF")
        self.vf = g(I64, 8 * S.SLOT_VF, "VF")
        self.excl_addr = g(I64, 8 * S.SLOT_EXCL_ADDR, "excl_addr")
        self.excl_val = g(I64, 8 * S.SLOT_EXCL_VAL, "excl_val")
        self.excl_val2 = g(I64, 8 * S.SLOT_EXCL_VAL2, "excl_val2")
        self.tpidr = g(I64, 8 * S.SLOT_TPIDR, "tpidr_el0")
        self.fpcr = g(I64, 8 * S.SLOT_FPCR, "fpcr")
        self.vlo = [g(I64, 8 * (S.SLOT_V0 + 2 * i), f"v{i}_lo") for i in range(32)]
        self.vhi = [g(I64, 8 * (S.SLOT_V0 + 2 * i + 1), f"v{i}_hi") for i in range(32)]

    def reset_cpu(self, cpu: CPU) -> None:
        cpu.state[S.SLOT_ZF] = 1  # Z clear
        cpu.state[S.SLOT_EXCL_ADDR] = M64

    # FPCR bits 26:19 (FZ16, RMode, FZ, DN, AHP and three bits that are zero) and the
    # mode bits 30:27 of its slot (``state.FPCR_MODE``): one run of bits, which every
    # host's probe can encode as an immediate (AArch64's bitmask immediates are runs;
    # x86's a positive 32-bit one)
    tb_flags_probe = (8 * S.SLOT_FPCR, 0xFFF << 19)
    # FPSR's slot is the word float ops OR their IEEE flags into: IOC DZC OFC UFC IXC are
    # its bits 0-4 (``fpflags``); no TCG global backs it, generated code reads and
    # writes it through helpers (``trans_dp``) and plain state loads and stores
    # (``lanes.set_qc``), which native hosts order with their own flag keeping
    fp_flags_offset = 8 * S.SLOT_FPSR

    def tb_flags(self, cpu: CPU) -> tuple[int, int]:
        # FPCR.RMode (bits 23:22), FZ (24), DN (25), AHP (26) and FZ16 (19) are constants
        # of the translated code: flags bits 1:0, FLAG_FZ, FLAG_DN, FLAG_AHP, FLAG_FZ16;
        # then FLAG_PAUTH, FLAG_BTI and PSTATE.BTYPE from the slot's bits 30:27
        fpcr = cpu.state[_SLOT_FPCR]
        return 0, ((fpcr >> 22) & 3 | (fpcr >> 25 & 3) << 2 | (fpcr >> 24 & 1) << 4
                   | (fpcr >> 19 & 1) << 5 | (fpcr >> 27 & 15) << 6)  # fmt: skip

    def sync_modes(self, cpu: CPU) -> None:
        """Recompute the FPCR slot's mode bits from SCTLR_EL1 and TCR_EL1 (after either
        changed): FLAG_PAUTH when a key is enabled or TCR_EL1 gives pointers a PAC
        field, FLAG_BTI when SCTLR_EL1.BT0 is set (BTYPE tracked, guarded pages checked:
        Linux sets it; Unicorn's max leaves it clear); BTYPE is dropped with FLAG_BTI."""
        st = cpu.state
        sctlr, tcr = st[S.SLOT_SCTLR], st[S.SLOT_TCR]
        mode = S.FPCR_PAUTH if sctlr & S.SCTLR_EN_ALL or tcr else 0
        if sctlr & S.SCTLR_BT0:
            mode |= S.FPCR_BTI | (st[_SLOT_FPCR] & (3 << S.FPCR_BTYPE_SHIFT))
        st[_SLOT_FPCR] = st[_SLOT_FPCR] & ~S.FPCR_MODE | mode

    # -- the nzcv register name -------------------------------------------------------

    def reg_read(self, cpu: CPU, name: str) -> int:
        low = name.lower()
        if low in ("nzcv", "pstate"):
            st = cpu.state
            n = st[S.SLOT_NF] >> 63 & 1
            z = int(st[S.SLOT_ZF] == 0)
            c = st[S.SLOT_CF] & 1
            v = st[S.SLOT_VF] >> 63 & 1
            btype = st[_SLOT_FPCR] >> S.FPCR_BTYPE_SHIFT & 3 if low == "pstate" else 0
            return n << 31 | z << 30 | c << 29 | v << 28 | btype << 10
        if low == "fpcr":  # without the mode bits its slot keeps in bits 30:27
            return super().reg_read(cpu, name) & ~S.FPCR_MODE
        return super().reg_read(cpu, name)

    def reg_write(self, cpu: CPU, name: str, value: int) -> None:
        low = name.lower()
        if low in ("nzcv", "pstate"):
            if not 0 <= value < 1 << 32:
                raise ValueError(f"value {value:#x} does not fit register {low} (32 bits)")
            st = cpu.state
            st[S.SLOT_NF] = (1 << 63) if value >> 31 & 1 else 0
            st[S.SLOT_ZF] = 0 if value >> 30 & 1 else 1
            st[S.SLOT_CF] = value >> 29 & 1
            st[S.SLOT_VF] = (1 << 63) if value >> 28 & 1 else 0
            if low == "pstate" and st[_SLOT_FPCR] & S.FPCR_BTI:  # PSTATE.BTYPE: bits 11:10
                at = S.FPCR_BTYPE_SHIFT
                st[_SLOT_FPCR] = st[_SLOT_FPCR] & ~(3 << at) | (value >> 10 & 3) << at
            return
        if low == "fpcr":  # the slot's mode bits stay
            keep = cpu.state[_SLOT_FPCR] & S.FPCR_MODE
            super().reg_write(cpu, name, value & ~S.FPCR_MODE if value >= 0 else value)
            cpu.state[_SLOT_FPCR] = cpu.state[_SLOT_FPCR] & ~S.FPCR_MODE | keep
            return
        super().reg_write(cpu, name, value)
        if low in ("sctlr_el1", "tcr_el1"):
            self.sync_modes(cpu)

    # -- translation --------------------------------------------------------------------

    def translate_insn(self, dc: DisasContext) -> None:
        if dc.pc & 3:  # a branch to a misaligned address: the PC alignment fault
            raise UnalignedAccessError(f"misaligned pc {dc.pc:#x}", access=MEM_FETCH,
                                       address=dc.pc, size=4, pc=dc.pc)  # fmt: skip
        insn = dc.fetch_le32()
        if dc.flags & S.FLAG_BTYPE and not dc.num_insns:  # after BR/BLR: a landing pad?
            bti.landing(self, dc, insn)
        gated = self._decode
        handler = decode(insn) if gated is None else gated(insn)
        if handler is None:
            raise dc.invalid(insn, "unallocated or unsupported encoding")
        if dc.flags & (S.FLAG_FZ | S.FLAG_FZ16):  # flush to zero around its float ops
            start = len(dc.ctx.ops)
            handler(self, dc, insn)
            flush_insn(dc, start, self.fz_helpers)
            return
        handler(self, dc, insn)

    def tb_stop(self, dc: DisasContext) -> None:
        self.goto(dc, 0, dc.pc)

    def disassemble(self, code: bytes, pc: int) -> list[tuple[int, str]]:
        try:
            import capstone
        except ImportError:
            return super().disassemble(code, pc)
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
        return [(i.address, f"{i.mnemonic} {i.op_str}") for i in md.disasm(code, pc)]

    # -- vocabulary for the translators ---------------------------------------------------

    def goto(self, dc: DisasContext, slot: int, dest: int) -> None:
        ctx = dc.ctx
        ctx.goto_tb(slot)
        # (compiled, the range test is native where the mask is a wide-integer op)
        ctx.movi(self.pc, dest if 0 <= dest < 0x4000000000000000 else dest & M64)
        ctx.exit_tb(slot)

    def goto_reg(self, dc: DisasContext, target: Temp, btype: int = 0) -> None:
        dc.ctx.mov(self.pc, target)
        self.goto_pc(dc, btype)

    def goto_pc(self, dc: DisasContext, btype: int = 0) -> None:
        """Leave the TB for the address in pc (goto_ptr), an indirect branch of BTYPE
        ``btype`` (``trans_bti.branch_type``: PSTATE.BTYPE set first where it is tracked)."""
        if btype and dc.flags & S.FLAG_BTI:  # BTYPE is zero here (cleared at TB start)
            dc.ctx.or_(self.fpcr, self.fpcr, btype << S.FPCR_BTYPE_SHIFT)
        dc.ctx.goto_ptr(self.pc)
        dc.is_jmp = JMP_NORETURN

    def fpcr_value(self, dc: DisasContext) -> Temp:
        """FPCR as MRS reads it (the slot without its mode bits)."""
        if not dc.flags & (S.FLAG_PAUTH | S.FLAG_BTI):
            return self.fpcr
        v = dc.ctx.temp()
        dc.ctx.and_(v, self.fpcr, ~S.FPCR_MODE & M64)
        return v

    def set_fpcr(self, dc: DisasContext, v: Temp) -> None:
        """MSR FPCR: its writable bits from ``v``, the slot's mode bits kept (BTYPE is
        zero after a TB's first instruction, so the flags know them)."""
        dc.ctx.and_(self.fpcr, v, 0x07FF9F00)
        mode = (dc.flags & (S.FLAG_PAUTH | S.FLAG_BTI)) << (27 - 6)
        if mode:
            dc.ctx.or_(self.fpcr, self.fpcr, mode)

    def id_reg(self, dc: DisasContext, reg: tuple[int, int, int, int, int]) -> int:
        """An ID register's value as MRS reads it: the model's, with pointer
        authentication (ID_AA64ISAR1_EL1 APA, GPA) and BTI (ID_AA64PFR1_EL1 BT) shown
        when the process has them (FLAG_PAUTH, FLAG_BTI), as Linux shows them."""
        value = self.id_regs.get(reg, 0)
        if reg == pauth.ID_AA64ISAR1 and dc.flags & S.FLAG_PAUTH:
            value |= pauth.ISAR1_PAUTH
        elif reg == pauth.ID_AA64PFR1 and dc.flags & S.FLAG_BTI:
            value |= 1  # BT
        return value

    def rx(self, dc: DisasContext, n: int) -> Temp:
        """Xn, with 31 reading as zero (the TB's shared constant 0: read only, as every
        register this returns)."""
        if n == 31:
            return dc.ctx.const(I64, 0)
        return self.x[n]

    def rsp(self, n: int) -> Temp:
        """Xn, with 31 naming SP."""
        return self.sp if n == 31 else self.x[n]

    def rw(self, dc: DisasContext, n: int, sf: int) -> Temp:
        """Xn, or Wn zero-extended when ``sf`` is 0 (31 is zero)."""
        v = self.rx(dc, n)
        if sf:
            return v
        t = dc.ctx.temp()
        dc.ctx.ext32u(t, v)
        return t

    def out(self, dc: DisasContext, n: int, sf: int, *, sp: bool = False) -> Temp:
        """Where a translator computes the value it then writes to Xn (SP for 31 when
        ``sp``) with ``wx``/``wsp``: the register itself for a 64-bit result, so that
        no move follows, else a new temporary (XZR, or a 32-bit result to extend).
        Only for an instruction whose ops read every source register before the first
        op that writes this one (its last op, or ops that read no source after it)."""
        if sf and (n != 31 or sp):
            return self.sp if n == 31 else self.x[n]
        return dc.ctx.temp()

    def wx(self, dc: DisasContext, n: int, value: Temp | int, sf: int = 1) -> None:
        """Write Xn (31 discards); a 32-bit result is zero-extended."""
        if n == 31:
            return
        self._write(dc, self.x[n], value, sf)

    def wsp(self, dc: DisasContext, n: int, value: Temp | int, sf: int = 1) -> None:
        """Write Xn, with 31 naming SP."""
        self._write(dc, self.rsp(n), value, sf)

    @staticmethod
    def _write(dc: DisasContext, dest: Temp, value: Temp | int, sf: int) -> None:
        ctx = dc.ctx
        if isinstance(value, int):
            ctx.movi(dest, value & (M64 if sf else 0xFFFFFFFF))
        elif sf:
            if value is not dest:  # computed in place (``out``)
                ctx.mov(dest, value)
        else:
            ctx.ext32u(dest, value)

    def temp(self, dc: DisasContext) -> Temp:
        return dc.ctx.temp()

    # -- flags ---------------------------------------------------------------------------

    def set_nz(self, dc: DisasContext, result: Temp, sf: int) -> None:
        """N and Z from a logical result (C and V cleared)."""
        ctx = dc.ctx
        if sf:
            ctx.mov(self.nf, result)
            ctx.mov(self.zf, result)
        else:
            ctx.ext32u(self.zf, result)
            ctx.shl(self.nf, self.zf, 32)
        ctx.movi(self.cf, 0)
        ctx.movi(self.vf, 0)

    def add_flags(self, dc: DisasContext, a: Temp, b: Temp, sf: int,
                  carry_in: Temp | None = None) -> Temp:  # fmt: skip
        """a + b (+ carry), setting NZCV; returns the result (zero-extended if 32-bit).

        The sum is computed in a flag register (NF for 64 bits, ZF for 32), which is
        what it returns: no temporary and move (the caller writes Rd from it). ``a``,
        ``b`` and ``carry_in`` are read before any flag is written."""
        ctx = dc.ctx
        if sf:
            r = self.nf
            zero = ctx.const(I64, 0)
            if carry_in is None:
                ctx.add2(r, self.cf, a, zero, b, zero)
            else:
                lo, hi = ctx.temp(), ctx.temp()
                ctx.add2(lo, hi, a, zero, carry_in, zero)
                ctx.add2(r, self.cf, lo, hi, b, zero)
            ctx.mov(self.zf, r)
            t1, t2 = ctx.temp(), ctx.temp()
            ctx.xor(t1, r, a)
            ctx.xor(t2, a, b)
            ctx.andc(self.vf, t1, t2)
        else:
            r = self.zf
            a32, b32 = ctx.temp(), ctx.temp()
            ctx.ext32u(a32, a)
            ctx.ext32u(b32, b)
            full = ctx.temp()
            ctx.add(full, a32, b32)
            if carry_in is not None:
                ctx.add(full, full, carry_in)
            ctx.shr(self.cf, full, 32)
            ctx.ext32u(r, full)
            ctx.shl(self.nf, r, 32)
            t1, t2 = ctx.temp(), ctx.temp()
            ctx.xor(t1, r, a32)
            ctx.xor(t2, a32, b32)
            ctx.andc(t1, t1, t2)
            ctx.shl(self.vf, t1, 32)
        return r

    def sub_flags(self, dc: DisasContext, a: Temp, b: Temp, sf: int) -> Temp:
        """a - b, setting NZCV (C = no borrow); returns the result, computed in NF (64
        bits) or ZF (32), as ``add_flags``."""
        ctx = dc.ctx
        if sf:
            r = self.nf
            ctx.sub(r, a, b)
            ctx.setcond(self.cf, a, b, COND_GEU)
            ctx.mov(self.zf, r)
            t1, t2 = ctx.temp(), ctx.temp()
            ctx.xor(t1, a, b)
            ctx.xor(t2, a, r)
            ctx.and_(self.vf, t1, t2)
        else:
            r = self.zf
            a32, b32 = ctx.temp(), ctx.temp()
            ctx.ext32u(a32, a)
            ctx.ext32u(b32, b)
            ctx.sub(r, a32, b32)
            ctx.ext32u(r, r)
            ctx.setcond(self.cf, a32, b32, COND_GEU)
            ctx.shl(self.nf, r, 32)
            t1, t2 = ctx.temp(), ctx.temp()
            ctx.xor(t1, a32, b32)
            ctx.xor(t2, a32, r)
            ctx.and_(t1, t1, t2)
            ctx.shl(self.vf, t1, 32)
        return r

    def cond(self, dc: DisasContext, cc: int) -> tuple[Cond, Temp, Any]:
        """(cond, a, b) such that ``a cond b`` holds exactly when condition ``cc`` does."""
        ctx = dc.ctx
        base, invert = cc >> 1, cc & 1
        if base == 7:
            return COND_ALWAYS, self.zf, 0
        if base == 0:
            res = (COND_EQ, self.zf, 0)
        elif base == 1:
            res = (COND_NE, self.cf, 0)
        elif base == 2:
            res = (COND_LT, self.nf, 0)
        elif base == 3:
            res = (COND_LT, self.vf, 0)
        elif base == 4:  # HI: C set and Z clear
            t = ctx.temp()
            ctx.setcond(t, self.zf, 0, COND_NE)
            ctx.and_(t, t, self.cf)
            res = (COND_NE, t, 0)
        elif base == 5:  # GE: N == V
            t = ctx.temp()
            ctx.xor(t, self.nf, self.vf)
            res = (COND_GE, t, 0)
        else:  # GT: Z clear and N == V
            t, u = ctx.temp(), ctx.temp()
            ctx.xor(t, self.nf, self.vf)
            ctx.setcond(t, t, 0, COND_GE)
            ctx.setcond(u, self.zf, 0, COND_NE)
            ctx.and_(t, t, u)
            res = (COND_NE, t, 0)
        if invert:
            return _INVERTED[res[0]], res[1], res[2]
        return res

    def end_with_helper(self, dc: DisasContext, helper: Helper) -> None:
        """Raise a guest exception after this instruction (pc = the next one)."""
        ctx = dc.ctx
        ctx.movi(self.pc, dc.pc)
        ctx.call(helper, None)
        ctx.exit_tb(EXIT_LOOKUP)
        dc.is_jmp = JMP_NORETURN
