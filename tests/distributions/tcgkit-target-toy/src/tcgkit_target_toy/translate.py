"""The toy target: CPU state, registers, and the decoder that emits IR.

Everything a third-party target needs, in one file: state size and register
views as data, TCG globals defined once on the template context, one
instruction decoded per ``translate_insn`` call, control flow ending the TB
with goto_tb / goto_ptr exits, the system call through a helper that raises
the guest interrupt. Register writes of an instruction come after its memory
accesses, so a faulting access leaves the instruction restartable.
"""

from __future__ import annotations

from typing import ClassVar

from tcgkit.errors import GuestInterrupt
from tcgkit.linux.abi import LinuxABI
from tcgkit.target import DisasContext, DisasJump, GuestTarget, RegisterView
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ir import Helper, Temp
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.types import I64, CallFlags, Cond, MemOp

from .isa import ELF_MACHINE, NREGS, PC_SLOT, STATE_SIZE, SYSCALL_INTNO, Op


def _sys(cpu: object) -> None:
    raise GuestInterrupt(SYSCALL_INTNO)


HELPER_SYS = Helper("toy_sys", _sys, CallFlags.NO_WRITE_GLOBALS)

_ALU = {Op.ADD: "add", Op.SUB: "sub", Op.MUL: "mul", Op.XOR: "xor", Op.AND: "and_",
        Op.SHL: "shl", Op.SHR: "shr", Op.DIVU: "divu"}  # fmt: skip


def _sext(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) else v


class ToyTarget(GuestTarget):
    """Toy ISA: 8 registers, fixed 4-byte instructions (tests only)."""

    name = "toy"
    state_size = STATE_SIZE
    pc_offset = 8 * PC_SLOT
    registers: ClassVar = {
        **{f"r{i}": RegisterView(8 * i, 64) for i in range(NREGS)},
        "pc": RegisterView(8 * PC_SLOT, 64),
    }
    #: a made-up Linux ABI (ELF machine 0x7070), with the generic syscall numbers
    linux_abi = LinuxABI(
        elf_machine=ELF_MACHINE, syscall_intno=SYSCALL_INTNO, nr_reg="r0",
        arg_regs=("r1", "r2", "r3", "r4", "r5", "r6"), ret_reg="r0", sp_reg="r7",
        syscalls={"read": 63, "write": 64, "exit": 93, "exit_group": 94, "brk": 214,
                  "munmap": 215, "mmap": 222},
    )  # fmt: skip

    def init_globals(self, ctx: TCGContext) -> None:
        self.r: list[Temp] = [ctx.new_global(I64, 8 * i, f"r{i}") for i in range(NREGS)]
        self.pc = ctx.new_global(I64, 8 * PC_SLOT, "pc")

    def _goto(self, dc: DisasContext, slot: int, dest: int) -> None:
        dc.ctx.goto_tb(slot)
        dc.ctx.movi(self.pc, dest)
        dc.ctx.exit_tb(slot)

    def tb_stop(self, dc: DisasContext) -> None:
        self._goto(dc, 0, dc.pc)

    def translate_insn(self, dc: DisasContext) -> None:
        raw = dc.fetch(4)
        try:
            op = Op(raw[0])
        except ValueError:
            raise dc.invalid(raw, "unknown opcode") from None
        a, b, c = raw[1], raw[2], raw[3]
        if (
            max(a, b if op not in (Op.LI, Op.LUI, Op.BNZ, Op.JAL) else 0) >= NREGS
            and op is not Op.SYS
        ):
            raise dc.invalid(raw, "register number out of range")
        ctx = dc.ctx
        r = self.r
        imm16 = _sext(b | c << 8, 16)
        here = dc.insn_start_pc
        if op in _ALU:
            if c >= NREGS:
                raise dc.invalid(raw, "register number out of range")
            getattr(ctx, _ALU[op])(r[a], r[b], r[c])
        elif op is Op.LI:
            ctx.movi(r[a], imm16)
        elif op is Op.LUI:
            t = ctx.temp()
            ctx.shl(t, r[a], 16)
            ctx.or_(r[a], t, imm16 & 0xFFFF)
        elif op is Op.ADDI:
            ctx.add(r[a], r[b], _sext(c, 8))
        elif op in (Op.LD, Op.LDB, Op.ST, Op.STB):
            addr = ctx.temp()
            ctx.add(addr, r[b], _sext(c, 8))
            memop = MemOp.MO_LEUQ if op in (Op.LD, Op.ST) else MemOp.MO_UB
            if op in (Op.LD, Op.LDB):
                val = ctx.temp()
                ctx.emit("qemu_ld_i64", val, addr, memop, 0)
                ctx.mov(r[a], val)
            else:
                ctx.emit("qemu_st_i64", r[a], addr, memop, 0)
        elif op is Op.BNZ:
            taken = ctx.label()
            ctx.brcond(Cond.NE, r[a], 0, taken)
            self._goto(dc, 0, dc.pc)
            ctx.set_label(taken)
            self._goto(dc, 1, here + 4 * imm16)
            dc.is_jmp = DisasJump.NORETURN
        elif op is Op.JAL:
            ctx.movi(r[a], dc.pc)
            self._goto(dc, 0, here + 4 * imm16)
            dc.is_jmp = DisasJump.NORETURN
        elif op is Op.JR:
            ctx.mov(self.pc, r[a])
            ctx.goto_ptr(self.pc)
            dc.is_jmp = DisasJump.NORETURN
        elif op is Op.SYS:
            ctx.movi(self.pc, dc.pc)
            ctx.call(HELPER_SYS, None)
            ctx.exit_tb(EXIT_LOOKUP)
            dc.is_jmp = DisasJump.NORETURN
