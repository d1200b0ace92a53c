"""Linux user mode on the toy target: ELF loading, the initial stack, and the
system calls freestanding programs use."""

from __future__ import annotations

import io
import struct
import time

import pytest
from tcgkit.linux import ElfError, LinuxProcess, UnsupportedSyscall
from tcgkit.linux.elf import read_elf
from tcgkit.linux.signals import Suspended
from tcgkit_target_toy.asm import assemble
from tcgkit_target_toy.testing import make_elf

BASE = 0x400000
DATA = BASE + 0x1000


def run(make, source: str, data: bytes = b"", argv=("prog",), bss: int = 0, **options):
    emu = make()
    out = io.BytesIO()
    proc = LinuxProcess(emu, emu.engine.target.linux_abi, stdout=out, **options)
    proc.load(make_elf(assemble(source, BASE), BASE, data, bss), list(argv), ["A=1"])
    code = proc.run()
    return emu, proc, code, out.getvalue()


HELLO = """
    li r0, 64        ; write(1, DATA, 6)
    li r1, 1
    li r2, 0x40
    lui r2, 0x1000   ; r2 = 0x401000
    li r3, 6
    sys
    li r0, 94        ; exit_group(3)
    li r1, 3
    sys
"""


def test_hello_writes_and_exits_with_its_code(make):
    _, proc, code, out = run(make, HELLO, b"hello\n")
    assert out == b"hello\n"
    assert code == 3
    assert proc.syscall_counts == {"write": 1, "exit_group": 1}


def test_initial_stack_has_argc_argv_envp_auxv(make):
    emu, *_ = run(make, "li r0, 94\nli r1, 0\nsys\n", argv=("prog", "x", "yz"))
    sp = emu.reg_read("r7")
    assert sp % 16 == 0
    argc, a0, a1, a2, null, e0, null2 = struct.unpack("<7Q", emu.mem_read(sp, 56))
    assert (argc, null, null2) == (3, 0, 0)
    strings = [bytes(emu.mem_read(p, 8)).split(b"\0")[0] for p in (a0, a1, a2, e0)]
    assert strings == [b"prog", b"x", b"yz", b"A=1"]
    auxv = struct.unpack("<28Q", emu.mem_read(sp + 56, 8 * 28))
    pairs = dict(zip(auxv[::2], auxv[1::2], strict=True))
    assert pairs[6] == 0x1000 and pairs[9] == BASE  # AT_PAGESZ, AT_ENTRY


def test_brk_grows_the_heap_and_bss_is_zero(make):
    source = """
        li r0, 214       ; brk(0) -> current break
        li r1, 0
        sys
        addi r5, r0, 0
        li r0, 214       ; brk(cur + 0x3000)
        li r1, 0x3000
        add r1, r5, r1
        sys
        li r2, 77
        st r2, [r0 - 8]  ; the new heap is writable
        ld r6, [r5]      ; bss reads zero
        li r0, 94
        li r1, 0
        sys
    """
    emu, proc, code, _ = run(make, source, b"\x01", bss=0x100)
    assert code == 0
    assert proc.brk == proc.brk_start + 0x3000
    assert emu.reg_read("r6") == 0


def test_unsupported_syscall_returns_enosys_reported_once(make):
    err = io.BytesIO()
    call = "li r0, 999\nsys\n"
    source = call + "li r5, 0\nadd r5, r5, r0\n" + call + "li r0, 94\nli r1, 0\nsys\n"
    emu, proc, code, _ = run(make, source, stderr=err)
    assert code == 0
    assert emu.reg_read("r5") == (1 << 64) - 38  # -ENOSYS
    assert err.getvalue() == (b"tcgkit: unsupported system call 999 at pc=0x400008: it "
                              b"returns ENOSYS\n")  # fmt: skip
    assert proc.syscall_counts["999"] == 2


def test_unsupported_syscall_in_strict_mode_names_number_and_pc(make):
    with pytest.raises(UnsupportedSyscall) as info:
        run(make, "li r0, 999\nsys\n", strict=True)
    assert info.value.nr == 999
    assert info.value.pc == BASE + 8


def test_bad_elf_files_are_clear_errors():
    with pytest.raises(ElfError, match="bad magic"):
        read_elf(b"not an elf" * 10)
    elf = bytearray(make_elf(b"\0" * 4))
    elf[16] = 1  # ET_REL
    with pytest.raises(ElfError, match="an object file"):
        read_elf(bytes(elf))


def test_a_sleep_a_stop_suspended_waits_only_for_what_was_left(make, monkeypatch):
    """A relative nanosleep that a debugger's stop suspended (``Suspended``: the call
    is made again when the guest runs on) then waits only for what was left of it, as
    Linux restarts it; a new sleep of the same request waits its whole time."""
    emu = make()
    proc = LinuxProcess(emu, emu.engine.target.linux_abi, stdout=io.BytesIO())
    proc.load(make_elf(assemble(HELLO, BASE), BASE, b"hello\n"), ["prog"], [])
    emu.mem_write(DATA, struct.pack("<qq", 2, 0))  # 2 s
    waits: list[float] = []

    def wait_for(done, timeout=None):  # the first wait is stopped after 0.3 s
        waits.append(timeout)
        if len(waits) == 1:
            time.sleep(0.3)
            raise Suspended
        return False  # the whole timeout passed, no signal

    monkeypatch.setattr(proc.signals, "wait_for", wait_for)
    with pytest.raises(Suspended):
        proc.timers.sys_nanosleep(DATA, 0)
    assert proc.timers.sys_nanosleep(DATA, 0) == 0  # made again
    assert proc.timers.sys_nanosleep(DATA, 0) == 0  # a new sleep
    assert waits[0] == 2.0 and 1.0 < waits[1] <= 1.71 and waits[2] == 2.0, waits


def test_memory_the_host_refuses_is_enomem_to_the_guest(make, monkeypatch):
    """mmap, brk and mremap of more than the host gives (QEMU's test-vma maps up to
    2**44 bytes PROT_NONE): ENOMEM, or the break unchanged; the emulator goes on."""
    emu, proc, code, _ = run(make, "li r0, 94\nli r1, 0\nsys\n")
    assert code == 0
    small = proc.mem.sys_mmap(0, 0x2000, 3, 0x22, -1, 0)
    assert small > 0

    def refuse(*_args):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(emu, "mem_map", refuse)
    assert proc.mem.sys_mmap(0, 1 << 44, 0, 0x4022, -1, 0) == -12  # MAP_NORESERVE
    assert proc.mem.sys_brk(proc.brk + 0x10000) == proc.brk
    assert proc.mem.sys_mremap(small, 0x2000, 0x100000, 1, 0) == -12
    assert emu.mem_read(small, 4) == b"\0\0\0\0"  # the old mapping is still there
