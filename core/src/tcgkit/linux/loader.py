"""Loading a Linux program into guest memory, as the kernel's ELF loader does.

Owns ``load_program``: the executable's segments (ET_EXEC at its own
addresses, a position-independent ET_DYN at ``PIE_BASE``), the program
interpreter its PT_INTERP names (the dynamic loader, found through the file
table's sysroot view, placed top-down like an mmap), the initial stack (argc,
argv, envp and the auxiliary vector, as the kernel lays them out; AT_HWCAP and
AT_HWCAP2 advertise the emulator's CPU model's features, ``hwcaps``, as the
target's ``ProcessHooks`` adjust them) and what the process starts from: the first
pc (the interpreter's entry, else the program's), the stack pointer and the heap's
start. An image's executable segments get the protection bits of the target's own
its GNU properties ask for (arm64: PROT_BTI for a BTI-marked file), as the kernel's
loader gives them.

Invariants: every segment is mapped writable, filled, then given the
permissions its flags ask for (a page two segments share gets both); nothing is
mapped over the stack; a program that cannot be loaded raises ``ElfError``
naming the file and what is wrong before anything runs.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE
from .elf import ET_DYN, PF_R, PF_W, PF_X, ElfError, ElfImage, machine_name, read_elf
from .mm import PAGE, page_up

if TYPE_CHECKING:
    from ..api import Emulator
    from .abi import LinuxABI
    from .files import FileTable
    from .mm import ProcessMemory

STACK_TOP = 0x7FFF_F000_0000
STACK_SIZE = 8 << 20
PIE_BASE = 0x55_5555_0000  # where a position-independent executable goes (qemu-aarch64's)

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = (
    0, 3, 4, 5, 6, 7, 8, 9)  # fmt: skip
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_MINSIGSTKSZ = 23, 25, 26, 31, 51


class LoadedProgram:
    """Where a loaded process starts."""

    __slots__ = ("brk_start", "entry", "interp_base", "sp")

    def __init__(self, entry: int, sp: int, brk_start: int, interp_base: int) -> None:
        self.entry = entry  # the first pc
        self.sp = sp
        self.brk_start = brk_start
        self.interp_base = interp_base  # AT_BASE: 0 without an interpreter


def _prot(flags: int) -> int:
    return ((PROT_READ if flags & PF_R else 0) | (PROT_WRITE if flags & PF_W else 0)
            | (PROT_EXEC if flags & PF_X else 0))  # fmt: skip


def page_runs(segments: Sequence[Any], bias: int = 0) -> list[list[int]]:
    """[first page, end page, perms] of the pages the segments cover (at ``bias``), in
    address order, adjacent runs of equal permissions merged. A page two segments
    share gets both segments' permissions. Computed on page boundaries, not page by
    page, so that a huge segment costs no more than a small one."""
    spans = [((seg.vaddr + bias) // PAGE, page_up(seg.vaddr + bias + seg.memsz) // PAGE,
              _prot(seg.flags)) for seg in segments if seg.memsz]  # fmt: skip
    cuts = sorted({b for first, end, _ in spans for b in (first, end)})
    runs: list[list[int]] = []
    for lo, hi in itertools.pairwise(cuts):
        perms = [p for first, end, p in spans if first <= lo and hi <= end]
        if not perms:
            continue
        prot = 0
        for p in perms:
            prot |= p
        if runs and runs[-1][1] == lo and runs[-1][2] == prot:
            runs[-1][1] = hi
        else:
            runs.append([lo, hi, prot])
    return runs


def _map_image(emu: Emulator, img: ElfImage, bias: int, name: str,
               abi: LinuxABI | None = None) -> int:  # fmt: skip
    """Map and fill ``img``'s segments at ``bias``; the end of the highest one."""
    runs = page_runs(img.segments, bias)
    stack = range((STACK_TOP - STACK_SIZE) // PAGE, STACK_TOP // PAGE)
    for first, end, _perms in runs:
        if first < stack.stop and stack.start < end:
            raise ElfError(
                f"{name}: a segment overlaps the stack ({stack.start * PAGE:#x}.."
                f"{stack.stop * PAGE:#x}), where tcgkit places it"
            )
    for first, end, _perms in runs:
        try:
            emu.mem_map(first * PAGE, (end - first) * PAGE, PROT_READ | PROT_WRITE)
        except (OSError, MemoryError, ValueError) as e:
            raise ElfError(
                f"{name}: its segments need {(end - first) * PAGE:#x} bytes at "
                f"{first * PAGE:#x}, which cannot be mapped here ({e})"
            ) from None
    for seg in img.segments:
        emu.mem_write(seg.vaddr + bias, seg.data)
    for first, end, perms in runs:
        emu.mem_protect(first * PAGE, (end - first) * PAGE, perms)
    hooks = abi.process if abi is not None else None
    extra = hooks.elf_prot(img.properties) if hooks is not None else 0
    if hooks is not None and extra:
        for first, end, perms in runs:
            if perms & PROT_EXEC:
                hooks.set_prot(emu, first * PAGE, (end - first) * PAGE, perms | extra)
    return max(seg.vaddr + bias + seg.memsz for seg in img.segments)


def _interpreter(img: ElfImage, abi: LinuxABI, files: FileTable, name: str) -> ElfImage:
    assert img.interp is not None
    host = files.host_path(os.fsencode(img.interp))
    where = f" in the sysroot {os.fsdecode(files.sysroot)}" if files.sysroot else ""
    try:
        with open(host, "rb") as f:
            data = f.read()
    except OSError as e:
        fix = (
            "give the directory that holds it with -L DIR (or TCGKIT_LD_PREFIX), as for "
            "qemu-aarch64, e.g. /usr/aarch64-linux-gnu for Debian's cross libc"
        )
        raise ElfError(
            f"{name}: its program interpreter {img.interp} cannot be read{where} "
            f"({e.strerror or e}); {fix}"
        ) from None
    interp = read_elf(data, img.interp)
    if interp.machine != abi.elf_machine:
        raise ElfError(
            f"{name}: its program interpreter {img.interp}{where} is for "
            f"{machine_name(interp.machine)}, not {machine_name(abi.elf_machine)}"
        )
    if interp.e_type != ET_DYN or interp.interp is not None:
        raise ElfError(f"{name}: its program interpreter {img.interp} is not a shared object")
    return interp


def load_program(emu: Emulator, abi: LinuxABI, mem: ProcessMemory, files: FileTable,
                 image_bytes: bytes, argv: Sequence[str], envp: Sequence[str],
                 name: str = "<program>") -> LoadedProgram:  # fmt: skip
    """Load the program (and its interpreter) and build its stack (module docstring)."""
    img = read_elf(image_bytes, name)
    if img.machine != abi.elf_machine:
        raise ElfError(
            f"{name}: ELF machine {img.machine} is not this target's ({abi.elf_machine})"
        )
    interp = _interpreter(img, abi, files, name) if img.interp is not None else None
    bias = PIE_BASE if img.e_type == ET_DYN else 0
    top = _map_image(emu, img, bias, name, abi)
    interp_base = 0
    entry = img.entry + bias
    if interp is not None:
        low = min(s.vaddr for s in interp.segments) & ~(PAGE - 1)
        found = mem.find_free(page_up(interp.span))
        if found is None:
            raise ElfError(f"{name}: no room for its program interpreter")
        interp_base = found - low
        _map_image(emu, interp, interp_base, img.interp or "", abi)
        entry = interp.entry + interp_base
    phdr = img.phdr_vaddr + bias if img.phdr_vaddr else 0
    execfn = argv[0] if argv else name
    hwcap, hwcap2 = hwcaps(emu, abi)
    sp = _setup_stack(emu, abi, argv, envp, execfn, [
        (AT_PHDR, phdr), (AT_PHENT, img.phent), (AT_PHNUM, img.phnum), (AT_PAGESZ, PAGE),
        (AT_BASE, interp_base), (AT_FLAGS, 0), (AT_ENTRY, img.entry + bias),
        (AT_UID, os.getuid()), (AT_EUID, os.geteuid()), (AT_GID, os.getgid()),
        (AT_EGID, os.getegid()), (AT_HWCAP, hwcap), (AT_HWCAP2, hwcap2), (AT_CLKTCK, 100),
        (AT_SECURE, 0), (AT_MINSIGSTKSZ, 5120),
    ])  # fmt: skip
    return LoadedProgram(entry, sp, page_up(top), interp_base)


def hwcaps(emu: Emulator, abi: LinuxABI) -> tuple[int, int]:
    """(AT_HWCAP, AT_HWCAP2): the features of the emulator's CPU model
    (``GuestTarget.cpu_model``), else (no model, or an object that only acts as an
    ``Emulator``, as benchmarks' Unicorn adapter) the target's ABI's."""
    target = getattr(getattr(emu, "engine", None), "target", None)
    model = getattr(target, "cpu_model", None)
    hwcap = abi.hwcap if model is None or model.hwcap is None else model.hwcap
    hwcap2 = abi.hwcap2 if model is None or model.hwcap2 is None else model.hwcap2
    return abi.process.hwcaps(emu, hwcap, hwcap2)


def _setup_stack(emu: Emulator, abi: LinuxABI, argv: Sequence[str], envp: Sequence[str],
                 execfn: str, auxv: list[tuple[int, int]]) -> int:  # fmt: skip
    """The initial stack: strings at the top, then AT_RANDOM's 16 bytes, the platform
    string, and below them argc, argv, envp and the auxiliary vector. Returns sp."""
    emu.mem_map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE)
    strings = bytearray()
    offsets = []
    for s in [*argv, *envp, execfn, abi.uname_machine]:
        offsets.append(len(strings))
        strings += s.encode("utf-8", "surrogateescape") + b"\0"
    random16 = bytes(range(16))  # deterministic AT_RANDOM: runs are reproducible
    area = STACK_TOP - page_up(len(strings) + 64)
    emu.mem_write(area, bytes(strings))
    rand_at = area + len(strings)
    emu.mem_write(rand_at, random16)
    ptrs = [area + o for o in offsets]
    n_args, n_env = len(argv), len(envp)
    execfn_at, platform_at = ptrs[n_args + n_env], ptrs[n_args + n_env + 1]
    auxv = [*auxv, (AT_RANDOM, rand_at), (AT_EXECFN, execfn_at), (AT_PLATFORM, platform_at),
            (AT_NULL, 0)]  # fmt: skip
    words = [n_args, *ptrs[:n_args], 0, *ptrs[n_args : n_args + n_env], 0]
    for k, v in auxv:
        words += [k, v]
    sp = (area - 8 * len(words)) & ~(abi.stack_align - 1)
    emu.mem_write(sp, struct.pack(f"<{len(words)}Q", *words))
    return sp
