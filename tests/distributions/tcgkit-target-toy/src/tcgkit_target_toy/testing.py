"""Test scaffolding shared by the suites that run the toy target.

Owns the standard layout of a toy test machine: code at ``CODE``, 64 KiB of
data at ``DATA`` with r7 pointing at it, and ``build`` to make one.
"""

from __future__ import annotations

from tcgkit import PROT_ALL, Emulator

from .asm import assemble

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
