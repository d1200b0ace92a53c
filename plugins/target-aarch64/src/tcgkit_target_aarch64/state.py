"""The AArch64 CPU state layout and register names.

Owns where every architectural register lives in the CPU state (8-byte
slots), the register names users see (as Unicorn spells them) and the Linux
ABI. Flags are kept as QEMU keeps them, four i64 values cheap to produce in
IR: N is bit 63 of ``nf``, Z is ``zf == 0``, C is ``cf`` (0 or 1), V is bit
63 of ``vf``; the ``nzcv`` register name composes and splits them.
"""

from __future__ import annotations

from typing import Final

from tcgkit.linux.abi import LinuxABI
from tcgkit.target import RegisterView

from .linux_process import AArch64ProcessHooks
from .linux_signals import AArch64SignalFrames

SLOT_SP = 31
SLOT_PC = 32
SLOT_NF, SLOT_ZF, SLOT_CF, SLOT_VF = 33, 34, 35, 36
SLOT_FPCR, SLOT_FPSR, SLOT_TPIDR = 37, 38, 39
#: TB flags (``AArch64Target.tb_flags``): bits 1:0 FPCR.RMode; FPCR.DN, default-NaN mode;
#: FPCR.AHP, the alternative half-precision format of conversions; FPCR.FZ
FLAG_DN: Final = 4
FLAG_AHP: Final = 8
FLAG_FZ: Final = 16  # FPCR.FZ, flush to zero (``flush_zero``)
FLAG_FZ16: Final = 32  # FPCR.FZ16, the same for half-precision arithmetic
#: more TB flags, from bits 30:27 of the FPCR slot (RES0 in FPCR: ``AArch64Target``
#: keeps them out of what FPCR reads and writes): the translation mode of pointer
#: authentication and BTI, and PSTATE.BTYPE (``trans_pauth``)
FLAG_PAUTH: Final = 64  # some key enabled in SCTLR_EL1, or a TCR_EL1 with a PAC field
FLAG_BTI: Final = 128  # BTI enforced on guarded pages (as Linux gives a process)
FLAG_BTYPE_SHIFT: Final = 8  # PSTATE.BTYPE (2 bits: set by BR/BLR, checked on a guarded page)
FLAG_BTYPE: Final = 3 << FLAG_BTYPE_SHIFT
#: the same bits where they live, in the FPCR slot
FPCR_PAUTH: Final = 1 << 27
FPCR_BTI: Final = 1 << 28
FPCR_BTYPE_SHIFT: Final = 29
FPCR_MODE: Final = 0xF << 27
SLOT_EXCL_ADDR, SLOT_EXCL_VAL, SLOT_EXCL_VAL2 = 40, 41, 42
SLOT_V0 = 44  # v<n> is two slots: low 64 bits at SLOT_V0 + 2n, high at + 1
#: SCTLR_EL1 (its EnIA, EnIB, EnDA, EnDB and BT0 bits: what EL0 code depends on), TCR_EL1
#: (T0SZ, T1SZ, TBI0, TBI1, TBID0, TBID1: where a pointer's PAC field is), the pointer
#: authentication keys APIAKey, APIBKey, APDAKey, APDBKey, APGAKey (lo, hi: two slots each)
#: SCTLR_EL1's bits EL0 code depends on: the keys' enables, and BT0 (PACIASP/PACIBSP
#: are no landing pad for BTYPE 3)
SCTLR_EN_IA, SCTLR_EN_IB, SCTLR_EN_DA, SCTLR_EN_DB = 1 << 31, 1 << 30, 1 << 27, 1 << 13
SCTLR_EN_ALL: Final = SCTLR_EN_IA | SCTLR_EN_IB | SCTLR_EN_DA | SCTLR_EN_DB
SCTLR_BT0: Final = 1 << 35
SLOT_SCTLR = SLOT_V0 + 64
SLOT_TCR = SLOT_SCTLR + 1
SLOT_KEYS = SLOT_TCR + 1
KEY_NAMES: Final = ("apia", "apib", "apda", "apdb", "apga")
NSLOTS = SLOT_KEYS + 2 * len(KEY_NAMES)
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
    regs["sctlr_el1"] = RegisterView(8 * SLOT_SCTLR, 64)
    regs["tcr_el1"] = RegisterView(8 * SLOT_TCR, 64)
    for i, key in enumerate(KEY_NAMES):
        regs[f"{key}keylo_el1"] = RegisterView(8 * (SLOT_KEYS + 2 * i), 64)
        regs[f"{key}keyhi_el1"] = RegisterView(8 * (SLOT_KEYS + 2 * i + 1), 64)
    for i in range(32):
        off = 8 * (SLOT_V0 + 2 * i)
        regs[f"v{i}"] = regs[f"q{i}"] = RegisterView(off, 128)
        regs[f"d{i}"] = RegisterView(off, 64)
        regs[f"s{i}"] = RegisterView(off, 32, clear_bytes=8)
        regs[f"h{i}"] = RegisterView(off, 16, clear_bytes=8)
        regs[f"b{i}"] = RegisterView(off, 8, clear_bytes=8)
    return regs


REGISTERS = _registers()

#: Linux system call numbers: the generic table AArch64 uses (asm-generic/unistd.h)
SYSCALLS = {
    "io_setup": 0, "io_destroy": 1, "io_submit": 2, "io_cancel": 3, "io_getevents": 4,
    "setxattr": 5, "lsetxattr": 6, "fsetxattr": 7, "getxattr": 8, "lgetxattr": 9, "fgetxattr": 10,
    "listxattr": 11, "llistxattr": 12, "flistxattr": 13, "removexattr": 14, "lremovexattr": 15,
    "fremovexattr": 16, "getcwd": 17, "lookup_dcookie": 18, "eventfd2": 19, "epoll_create1": 20,
    "epoll_ctl": 21, "epoll_pwait": 22, "dup": 23, "dup3": 24, "fcntl": 25, "inotify_init1": 26,
    "inotify_add_watch": 27, "inotify_rm_watch": 28, "ioctl": 29, "ioprio_set": 30,
    "ioprio_get": 31, "flock": 32, "mknodat": 33, "mkdirat": 34, "unlinkat": 35, "symlinkat": 36,
    "linkat": 37, "renameat": 38, "umount2": 39, "mount": 40, "pivot_root": 41, "nfsservctl": 42,
    "statfs": 43, "fstatfs": 44, "truncate": 45, "ftruncate": 46, "fallocate": 47,
    "faccessat": 48, "chdir": 49, "fchdir": 50, "chroot": 51, "fchmod": 52, "fchmodat": 53,
    "fchownat": 54, "fchown": 55, "openat": 56, "close": 57, "vhangup": 58, "pipe2": 59,
    "quotactl": 60, "getdents64": 61, "lseek": 62, "read": 63, "write": 64, "readv": 65,
    "writev": 66, "pread64": 67, "pwrite64": 68, "preadv": 69, "pwritev": 70, "sendfile": 71,
    "pselect6": 72, "ppoll": 73, "signalfd4": 74, "vmsplice": 75, "splice": 76, "tee": 77,
    "readlinkat": 78, "newfstatat": 79, "fstat": 80, "sync": 81, "fsync": 82, "fdatasync": 83,
    "sync_file_range2": 84, "sync_file_range": 84, "timerfd_create": 85, "timerfd_settime": 86,
    "timerfd_gettime": 87, "utimensat": 88, "acct": 89, "capget": 90, "capset": 91,
    "personality": 92, "exit": 93, "exit_group": 94, "waitid": 95, "set_tid_address": 96,
    "unshare": 97, "futex": 98, "set_robust_list": 99, "get_robust_list": 100, "nanosleep": 101,
    "getitimer": 102, "setitimer": 103, "kexec_load": 104, "init_module": 105,
    "delete_module": 106, "timer_create": 107, "timer_gettime": 108, "timer_getoverrun": 109,
    "timer_settime": 110, "timer_delete": 111, "clock_settime": 112, "clock_gettime": 113,
    "clock_getres": 114, "clock_nanosleep": 115, "syslog": 116, "ptrace": 117,
    "sched_setparam": 118, "sched_setscheduler": 119, "sched_getscheduler": 120,
    "sched_getparam": 121, "sched_setaffinity": 122, "sched_getaffinity": 123, "sched_yield": 124,
    "sched_get_priority_max": 125, "sched_get_priority_min": 126, "sched_rr_get_interval": 127,
    "restart_syscall": 128, "kill": 129, "tkill": 130, "tgkill": 131, "sigaltstack": 132,
    "rt_sigsuspend": 133, "rt_sigaction": 134, "rt_sigprocmask": 135, "rt_sigpending": 136,
    "rt_sigtimedwait": 137, "rt_sigqueueinfo": 138, "rt_sigreturn": 139, "setpriority": 140,
    "getpriority": 141, "reboot": 142, "setregid": 143, "setgid": 144, "setreuid": 145,
    "setuid": 146, "setresuid": 147, "getresuid": 148, "setresgid": 149, "getresgid": 150,
    "setfsuid": 151, "setfsgid": 152, "times": 153, "setpgid": 154, "getpgid": 155, "getsid": 156,
    "setsid": 157, "getgroups": 158, "setgroups": 159, "uname": 160, "sethostname": 161,
    "setdomainname": 162, "getrlimit": 163, "setrlimit": 164, "getrusage": 165, "umask": 166,
    "prctl": 167, "getcpu": 168, "gettimeofday": 169, "settimeofday": 170, "adjtimex": 171,
    "getpid": 172, "getppid": 173, "getuid": 174, "geteuid": 175, "getgid": 176, "getegid": 177,
    "gettid": 178, "sysinfo": 179, "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182,
    "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185, "msgget": 186, "msgctl": 187,
    "msgrcv": 188, "msgsnd": 189, "semget": 190, "semctl": 191, "semtimedop": 192, "semop": 193,
    "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197, "socket": 198, "socketpair": 199,
    "bind": 200, "listen": 201, "accept": 202, "connect": 203, "getsockname": 204,
    "getpeername": 205, "sendto": 206, "recvfrom": 207, "setsockopt": 208, "getsockopt": 209,
    "shutdown": 210, "sendmsg": 211, "recvmsg": 212, "readahead": 213, "brk": 214, "munmap": 215,
    "mremap": 216, "add_key": 217, "request_key": 218, "keyctl": 219, "clone": 220, "execve": 221,
    "mmap": 222, "fadvise64": 223, "swapon": 224, "swapoff": 225, "mprotect": 226, "msync": 227,
    "mlock": 228, "munlock": 229, "mlockall": 230, "munlockall": 231, "mincore": 232,
    "madvise": 233, "remap_file_pages": 234, "mbind": 235, "get_mempolicy": 236,
    "set_mempolicy": 237, "migrate_pages": 238, "move_pages": 239, "rt_tgsigqueueinfo": 240,
    "perf_event_open": 241, "accept4": 242, "recvmmsg": 243, "wait4": 260, "prlimit64": 261,
    "fanotify_init": 262, "fanotify_mark": 263, "name_to_handle_at": 264,
    "open_by_handle_at": 265, "clock_adjtime": 266, "syncfs": 267, "setns": 268, "sendmmsg": 269,
    "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272, "finit_module": 273,
    "sched_setattr": 274, "sched_getattr": 275, "renameat2": 276, "seccomp": 277,
    "getrandom": 278, "memfd_create": 279, "bpf": 280, "execveat": 281, "userfaultfd": 282,
    "membarrier": 283, "mlock2": 284, "copy_file_range": 285, "preadv2": 286, "pwritev2": 287,
    "pkey_mprotect": 288, "pkey_alloc": 289, "pkey_free": 290, "statx": 291, "io_pgetevents": 292,
    "rseq": 293, "kexec_file_load": 294, "pidfd_send_signal": 424, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_open": 434,
    "clone3": 435, "close_range": 436, "openat2": 437, "pidfd_getfd": 438, "faccessat2": 439,
    "process_madvise": 440, "epoll_pwait2": 441, "mount_setattr": 442, "quotactl_fd": 443,
    "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
    "memfd_secret": 447, "process_mrelease": 448, "futex_waitv": 449,
    "set_mempolicy_home_node": 450,
}  # fmt: skip

#: AT_HWCAP: what this target implements, by the kernel's bits (asm/hwcap.h): FP (0),
#: ASIMD (1), AES (3), PMULL (4), SHA1 (5), SHA2 (6), CRC32 (7), ATOMICS (8), FPHP (9), ASIMDHP
#: (10: half-precision arithmetic, scalar and AdvSIMD), ASIMDRDM (12),
#: JSCVT (13), FCMA (14), LRCPC (15), CPUID (11: MRS of the ID registers, as Linux emulates it),
#: DCPOP (16: DC CVAP), SHA3 (17), SM3 (18), SM4 (19), ASIMDDP (20), SHA512 (21), ASIMDFHM
#: (23: FMLAL/FMLSL), ILRCPC (26), FLAGM (27), SB (29).
#: Not: SVE, MTE; pointer authentication (PACA 30, PACG 31) and BTI (AT_HWCAP2 bit 17) are
#: added for a Linux process only (``linux_process``: keys enabled, guarded pages), since an
#: emulator otherwise runs with the keys disabled and no page guarded, as Unicorn's max.
HWCAP: Final = sum(1 << b for b in (0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                    18, 19, 20, 21, 23, 26, 27, 29))  # fmt: skip
#: AT_HWCAP2: DCPODP (0: DC CVADP), FLAGM2 (7: AXFLAG, XAFLAG), FRINT (8: FRINT32/64), RNG
#: (16: RNDR, RNDRRS)
HWCAP2: Final = (1 << 0) | (1 << 7) | (1 << 8) | (1 << 16)

LINUX_ABI = LinuxABI(
    elf_machine=183, syscall_intno=2, nr_reg="x8",
    arg_regs=("x0", "x1", "x2", "x3", "x4", "x5"), ret_reg="x0", sp_reg="sp",
    syscalls=SYSCALLS, uname_machine="aarch64", tls_reg="tpidr_el0",
    signal_frames=AArch64SignalFrames(), trap_intno=7, hwcap=HWCAP, hwcap2=HWCAP2,
    process=AArch64ProcessHooks(),
)  # fmt: skip
