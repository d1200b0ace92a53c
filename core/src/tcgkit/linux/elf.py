"""Reading static ELF64 little-endian executables.

Owns ``ElfImage`` (entry point, loadable segments, program-header facts for
the auxiliary vector) and ``read_elf``, which validates what the loader
relies on and raises ``ElfError`` naming the file offset that is wrong.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PT_LOAD = 1
PT_INTERP = 3
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN = 2, 3


class ElfError(ValueError):
    """The file is not an ELF executable tcgkit can load."""


@dataclass(frozen=True)
class Segment:
    vaddr: int
    memsz: int
    data: bytes  # file contents (filesz bytes); the rest up to memsz is zero
    flags: int  # PF_*


@dataclass(frozen=True)
class ElfImage:
    machine: int
    entry: int
    segments: tuple[Segment, ...]
    phdr_vaddr: int  # where the program headers are in memory (0 if not loaded)
    phent: int
    phnum: int


def read_elf(data: bytes, name: str = "<elf>") -> ElfImage:
    if len(data) < 64 or data[:4] != b"\x7fELF":
        raise ElfError(f"{name}: not an ELF file (bad magic at offset 0)")
    if data[4] != 2 or data[5] != 1:
        raise ElfError(f"{name}: only 64-bit little-endian ELF is supported (offset 4)")
    (e_type, machine, _ver, entry, phoff, _shoff, _flags, _ehsize, phent, phnum,
     ) = struct.unpack_from("<HHIQQQIHHH", data, 16)  # fmt: skip
    if e_type != ET_EXEC:
        raise ElfError(f"{name}: only static executables (ET_EXEC) are supported (offset 16)")
    if phent < 56 or phoff + phent * phnum > len(data):
        raise ElfError(f"{name}: program headers out of the file (offset {phoff:#x})")
    segments = []
    phdr_vaddr = 0
    for i in range(phnum):
        off = phoff + i * phent
        p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, _align = (
            struct.unpack_from("<IIQQQQQQ", data, off))  # fmt: skip
        if p_type == PT_INTERP:
            raise ElfError(f"{name}: dynamically linked (PT_INTERP at offset {off:#x})")
        if p_type != PT_LOAD:
            continue
        if (p_filesz and p_offset + p_filesz > len(data)) or p_filesz > p_memsz:
            raise ElfError(f"{name}: segment at offset {off:#x} runs past the file")
        if p_offset <= phoff < p_offset + p_filesz:
            phdr_vaddr = p_vaddr + phoff - p_offset
        segments.append(Segment(p_vaddr, p_memsz, data[p_offset : p_offset + p_filesz], p_flags))
    if not segments:
        raise ElfError(f"{name}: no loadable segment")
    return ElfImage(machine, entry, tuple(segments), phdr_vaddr, phent, phnum)
