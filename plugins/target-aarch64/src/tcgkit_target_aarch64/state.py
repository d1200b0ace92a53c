"""The AArch64 CPU state layout and register names.

Owns where every architectural register lives in the CPU state (8-byte
slots), the register names users see (as Unicorn spells them) and the Linux
ABI. Flags are kept as QEMU keeps them, four i64 values cheap to produce in
IR: N is bit 63 of ``nf``, Z is ``zf == 0``, C is ``cf`` (0 or 1), V is bit
63 of ``vf``; the ``nzcv`` register name composes and splits them.
"""

from __future__ import annotations

from tcgkit.linux.abi import LinuxABI
from tcgkit.target import RegisterView

SLOT_SP = 31
SLOT_PC = 32
SLOT_NF, SLOT_ZF, SLOT_CF, SLOT_VF = 33, 34, 35, 36
SLOT_FPCR, SLOT_FPSR, SLOT_TPIDR = 37, 38, 39
SLOT_EXCL_ADDR, SLOT_EXCL_VAL, SLOT_EXCL_VAL2 = 40, 41, 42
SLOT_V0 = 44  # v<n> is two slots: low 64 bits at SLOT_V0 + 2n, high at + 1
NSLOTS = SLOT_V0 + 64
STATE_SIZE = 8 * NSLOTS


def _registers() -> dict[str, RegisterView]:
    regs: dict[str, RegisterView] = {}
    for i in range(31):
        regs[f"x{i}"] = RegisterView(8 * i, 64)
        regs[f"w{i}"] = RegisterView(8 * i, 32, clear_bytes=8)
    regs["lr"], regs["fp"] = regs["x30"], regs["x29"]
    regs["sp"] = RegisterView(8 * SLOT_SP, 64)
    regs["wsp"] = RegisterView(8 * SLOT_SP, 32, clear_bytes=8)
    regs["pc"] = RegisterView(8 * SLOT_PC, 64)
    regs["fpcr"] = RegisterView(8 * SLOT_FPCR, 32, clear_bytes=8)
    regs["fpsr"] = RegisterView(8 * SLOT_FPSR, 32, clear_bytes=8)
    regs["tpidr_el0"] = RegisterView(8 * SLOT_TPIDR, 64)
    for i in range(32):
        off = 8 * (SLOT_V0 + 2 * i)
        regs[f"v{i}"] = regs[f"q{i}"] = RegisterView(off, 128)
        regs[f"d{i}"] = RegisterView(off, 64)
        regs[f"s{i}"] = RegisterView(off, 32, clear_bytes=8)
        regs[f"h{i}"] = RegisterView(off, 16, clear_bytes=8)
        regs[f"b{i}"] = RegisterView(off, 8, clear_bytes=8)
    return regs


REGISTERS = _registers()

#: Linux system call numbers (the generic table AArch64 uses)
SYSCALLS = {"read": 63, "write": 64, "writev": 66, "exit": 93, "exit_group": 94,
            "set_tid_address": 96, "set_robust_list": 99, "rt_sigaction": 134,
            "rt_sigprocmask": 135, "getpid": 172, "gettid": 178, "brk": 214, "munmap": 215,
            "mmap": 222, "mprotect": 226, "madvise": 233, "ioctl": 29, "uname": 160,
            "rseq": 293, "prlimit64": 261, "getrandom": 278, "readlinkat": 78,
            "newfstatat": 79, "fstat": 80, "openat": 56, "close": 57,
            "clock_gettime": 113, "clone": 220, "clone3": 435, "futex": 98,
            "sched_yield": 124, "sched_getaffinity": 123, "nanosleep": 101,
            "clock_nanosleep": 115}  # fmt: skip

LINUX_ABI = LinuxABI(
    elf_machine=183, syscall_intno=2, nr_reg="x8",
    arg_regs=("x0", "x1", "x2", "x3", "x4", "x5"), ret_reg="x0", sp_reg="sp",
    syscalls=SYSCALLS, uname_machine="aarch64", tls_reg="tpidr_el0",
)  # fmt: skip
