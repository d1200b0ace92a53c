"""The AArch64 Linux signal frame: what delivering a signal to a guest handler writes on
the guest's stack, and what rt_sigreturn reads back.

Owns ``AArch64SignalFrames`` (``LinuxABI.signal_frames``), laid out as the arm64
kernel lays out ``struct rt_sigframe``: the siginfo (128 bytes), then the
ucontext (flags, link, the alternate stack, the signal mask padded to 128
bytes, then the sigcontext: fault address, x0-x30, sp, pc, pstate, and in its
reserved area an FPSIMD record (FPSR, FPCR, V0-V31) and the terminating null
record), then a frame record (x29, x30) above it for unwinders. The handler
starts with x0 = the signal, x1 = &siginfo, x2 = &ucontext, sp and x29 at the
frame, x30 = the return trampoline, and PSTATE.BTYPE = 2 where BTI is tracked (as
the kernel enters it: as if called by BLR, so that its first instruction is checked
on a guarded page). The saved pstate holds NZCV and BTYPE (bits 11:10), which
rt_sigreturn restores.
"""

from __future__ import annotations

import struct
from typing import Any, Final

SIGINFO_SIZE: Final = 128
UC_MCONTEXT: Final = 176  # offset of uc_mcontext in the ucontext (16-aligned)
SC_RESERVED: Final = 288  # offset of __reserved in the sigcontext (16-aligned)
RESERVED_SIZE: Final = 4096
FRAME_SIZE: Final = SIGINFO_SIZE + UC_MCONTEXT + SC_RESERVED + RESERVED_SIZE  # 4688
FPSIMD_MAGIC: Final = 0x46508001
FPSIMD_SIZE: Final = 16 + 32 * 16
NZCV_MASK: Final = 0xF000_0000
PSTATE_MASK: Final = NZCV_MASK | 3 << 10  # NZCV and BTYPE
BTYPE_C: Final = 2  # a handler's BTYPE: as if called by BLR
#: mov x8, #139 (rt_sigreturn); svc #0: where a handler without SA_RESTORER returns
SIGRETURN_CODE: Final = struct.pack("<II", 0xD2801168, 0xD4000001)


class AArch64SignalFrames:
    """Pushing and popping the arm64 ``rt_sigframe`` (see the module docstring)."""

    sigreturn_code = SIGRETURN_CODE

    def push(self, emu: Any, sp: int, sig: int, siginfo: bytes, mask: int, handler: int,
             restorer: int, altstack: tuple[int, int, int],
             fault_address: int = 0) -> None:  # fmt: skip
        """Write the frame below ``sp`` (the stack's, or the alternate stack's top) and
        point the registers at ``handler``; the frame saves the interrupted context
        (and ``fault_address``, the sigcontext's, for a fault)."""
        record = (sp - 16) & ~15  # the frame record (x29, x30) an unwinder follows
        frame = (record - FRAME_SIZE) & ~15
        regs = [emu.reg_read(f"x{i}") for i in range(31)]
        pc = emu.reg_read("pc")
        old_sp = emu.reg_read("sp")
        pstate = emu.reg_read("pstate") & PSTATE_MASK
        ss_sp, ss_flags, ss_size = altstack
        uc = struct.pack("<QQQiiQQ", 0, 0, ss_sp, ss_flags, 0, ss_size, mask)
        uc = uc.ljust(UC_MCONTEXT, b"\0")
        mc = struct.pack("<Q31QQQQ", fault_address, *regs, old_sp, pc, pstate).ljust(
            SC_RESERVED, b"\0"
        )
        fp = struct.pack("<IIII", FPSIMD_MAGIC, FPSIMD_SIZE, emu.reg_read("fpsr"),
                         emu.reg_read("fpcr"))  # fmt: skip
        fp += b"".join(emu.reg_read(f"q{i}").to_bytes(16, "little") for i in range(32))
        reserved = (fp + bytes(8)).ljust(RESERVED_SIZE, b"\0")  # then the null record
        emu.mem_write(frame, siginfo.ljust(SIGINFO_SIZE, b"\0")[:SIGINFO_SIZE] + uc + mc
                      + reserved)  # fmt: skip
        emu.mem_write(record, struct.pack("<QQ", regs[29], regs[30]))
        emu.reg_write("x0", sig)
        emu.reg_write("x1", frame)
        emu.reg_write("x2", frame + SIGINFO_SIZE)
        emu.reg_write("x29", record)
        emu.reg_write("x30", restorer)
        emu.reg_write("sp", frame)
        emu.reg_write("pc", handler)
        emu.reg_write("pstate", pstate & NZCV_MASK | BTYPE_C << 10)

    def pop(self, emu: Any) -> int:
        """rt_sigreturn: restore the registers the frame at sp holds; the mask it saved."""
        frame = emu.reg_read("sp")
        uc = frame + SIGINFO_SIZE
        raw = bytes(emu.mem_read(uc, UC_MCONTEXT + SC_RESERVED + FPSIMD_SIZE))
        mask = struct.unpack_from("<Q", raw, 40)[0]
        mc = struct.unpack_from("<Q31QQQQ", raw, UC_MCONTEXT)
        regs, sp, pc, pstate = mc[1:32], mc[32], mc[33], mc[34]
        for i, v in enumerate(regs):
            emu.reg_write(f"x{i}", v)
        emu.reg_write("sp", sp)
        emu.reg_write("pc", pc)
        emu.reg_write("pstate", pstate & PSTATE_MASK)
        at = UC_MCONTEXT + SC_RESERVED
        magic, _size, fpsr, fpcr = struct.unpack_from("<IIII", raw, at)
        if magic == FPSIMD_MAGIC:
            emu.reg_write("fpsr", fpsr)
            emu.reg_write("fpcr", fpcr)
            for i in range(32):
                off = at + 16 + 16 * i
                emu.reg_write(f"q{i}", int.from_bytes(raw[off : off + 16], "little"))
        return mask
