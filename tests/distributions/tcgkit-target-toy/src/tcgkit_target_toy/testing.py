"""Test scaffolding shared by the suites that run the toy target.

Owns the standard layout of a toy test machine: code at ``CODE``, 64 KiB of
data at ``DATA`` with r7 pointing at it, and ``build`` to make one.
"""

from __future__ import annotations

import struct

from tcgkit import PROT_ALL, Emulator

from .asm import assemble
from .isa import ELF_MACHINE

CODE = 0x10000
DATA = 0x80000
SIZE = 0x10000


def build(source: str = "", host: str = "python", **kwargs: object) -> Emulator:
    """An emulator with ``source`` assembled at CODE; ``emu.end`` is the address after it."""
    emu = Emulator("toy", host=host, **kwargs)  # type: ignore[arg-type]
    try:
        code = assemble(source, CODE)
        emu.mem_map(CODE, SIZE, PROT_ALL)
        emu.mem_map(DATA, SIZE, PROT_ALL)
        emu.mem_write(CODE, code)
        emu.reg_write("r7", DATA)
    except BaseException:
        emu.close()
        raise
    emu.end = CODE + len(code)  # type: ignore[attr-defined]
    return emu


def make_elf(code: bytes, base: int = 0x400000, data: bytes = b"", bss: int = 0) -> bytes:
    """A static ET_EXEC ELF with ``code`` (r-x) at ``base`` and ``data`` + ``bss``
    (rw-) on the next page boundary after it."""
    ehsize, phentsize = 64, 56
    phnum = 2
    code_off = 0x1000
    data_off = code_off + ((len(code) + 0xFFF) & ~0xFFF)
    data_vaddr = base + data_off - code_off
    header = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, 2, ELF_MACHINE,
                         1, base, ehsize, 0, 0, ehsize, phentsize, phnum, 0, 0, 0)  # fmt: skip
    ph_code = struct.pack("<IIQQQQQQ", 1, 5, code_off, base, base, len(code), len(code), 0x1000)
    ph_data = struct.pack("<IIQQQQQQ", 1, 6, data_off, data_vaddr, data_vaddr, len(data),
                          len(data) + bss, 0x1000)  # fmt: skip
    out = bytearray(header + ph_code + ph_data)
    out += bytes(code_off - len(out)) + code
    out += bytes(data_off - len(out)) + data
    return bytes(out)
