"""Reading ELF64 little-endian executables and shared objects.

Owns ``ElfImage`` (its type, entry point, loadable segments, the program
interpreter it names, program-header facts for the auxiliary vector) and
``read_elf``, which validates what the loader relies on and raises
``ElfError`` naming the file offset that is wrong; the GNU program properties
of a PT_GNU_PROPERTY note (``properties``: e.g. arm64's BTI and PAC marking) are
read as the kernel reads them, a malformed note ignored. Addresses are the file's:
a position-independent file (ET_DYN) is placed by the loader, which adds its
load bias to each.
"""

from __future__ import annotations

import struct

from ..errors import InvalidArgumentError

PT_LOAD = 1
PT_INTERP = 3
PT_GNU_PROPERTY = 0x6474E553
NT_GNU_PROPERTY_TYPE_0 = 5
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN = 2, 3


#: e_machine numbers of the architectures people are likely to hand us, for messages
MACHINE_NAMES = {3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 22: "S/390", 40: "ARM",
                 62: "x86-64", 183: "AArch64", 243: "RISC-V", 258: "LoongArch"}  # fmt: skip


def machine_name(machine: int) -> str:
    """``x86-64 (machine 62)``: an ELF machine number as people know it."""
    name = MACHINE_NAMES.get(machine)
    return f"{name} (machine {machine})" if name else f"machine {machine}"


class ElfError(InvalidArgumentError):
    """The file is not an ELF executable tcgkit can load (a ``ValueError``)."""


class Segment:
    """A PT_LOAD segment (plain slotted classes here: see ``linux.abi.LinuxABI``)."""

    __slots__ = ("data", "flags", "memsz", "vaddr")

    def __init__(self, vaddr: int, memsz: int, data: bytes, flags: int) -> None:
        self.vaddr = vaddr
        self.memsz = memsz
        self.data = data  # file contents (filesz bytes); the rest up to memsz is zero
        self.flags = flags  # PF_*

    def __repr__(self) -> str:
        return f"Segment(vaddr={self.vaddr:#x}, memsz={self.memsz:#x}, flags={self.flags})"


class ElfImage:
    """What loading an ELF executable needs of it."""

    __slots__ = ("e_type", "entry", "interp", "machine", "phdr_vaddr", "phent", "phnum",
                 "properties", "segments")  # fmt: skip

    def __init__(self, machine: int, entry: int, segments: tuple[Segment, ...],
                 phdr_vaddr: int, phent: int, phnum: int, e_type: int = ET_EXEC,
                 interp: str | None = None,
                 properties: dict[int, int] | None = None) -> None:  # fmt: skip
        self.machine = machine
        self.entry = entry
        self.segments = segments
        self.phdr_vaddr = phdr_vaddr  # where the program headers are in memory (0: not loaded)
        self.phent = phent
        self.phnum = phnum
        self.e_type = e_type  # ET_EXEC (at its addresses) or ET_DYN (placed by the loader)
        self.interp = interp  # PT_INTERP: the program interpreter's path, if any
        #: PT_GNU_PROPERTY: pr_type -> its 32-bit value (the properties with 4 bytes of data)
        self.properties: dict[int, int] = {} if properties is None else properties

    @property
    def span(self) -> int:
        """Bytes from the lowest segment's page to the end of the highest segment."""
        low = min(s.vaddr for s in self.segments) & ~0xFFF
        return max(s.vaddr + s.memsz for s in self.segments) - low

    def __repr__(self) -> str:
        return f"ElfImage(machine={self.machine}, entry={self.entry:#x}, segments={self.segments})"


#: e_type -> (what the file is, its e_type name, what to do), for the message refusing it
_NOT_EXEC = {
    1: ("an object file", "ET_REL", ": link it into a program"),
    4: ("a core dump", "ET_CORE", ""),
}  # fmt: skip


def read_elf(data: bytes, name: str = "<elf>") -> ElfImage:
    if data[:4] != b"\x7fELF":
        raise ElfError(
            f"{name}: not an ELF file (bad magic at offset 0); tcgkit runs Linux ELF executables"
        )
    if len(data) < 64:
        raise ElfError(f"{name}: truncated ELF file ({len(data)} bytes, shorter than its header)")
    if data[4] != 2 or data[5] != 1:
        raise ElfError(f"{name}: only 64-bit little-endian ELF is supported (offset 4)")
    (e_type, machine, _ver, entry, phoff, _shoff, _flags, _ehsize, phent, phnum,
     ) = struct.unpack_from("<HHIQQQIHHH", data, 16)  # fmt: skip
    if e_type not in (ET_EXEC, ET_DYN):
        what, tag, fix = _NOT_EXEC.get(e_type, ("an ELF file", f"e_type {e_type}", ""))
        raise ElfError(
            f"{name}: {what} ({tag} at offset 16); only executables (ET_EXEC, or ET_DYN: "
            f"position-independent) can run{fix}"
        )
    if phent < 56 or phoff + phent * phnum > len(data):
        raise ElfError(f"{name}: program headers out of the file (offset {phoff:#x})")
    segments = []
    phdr_vaddr = 0
    interp = None
    properties: dict[int, int] = {}
    for i in range(phnum):
        off = phoff + i * phent
        p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, _align = (
            struct.unpack_from("<IIQQQQQQ", data, off))  # fmt: skip
        if p_type == PT_INTERP:
            raw = data[p_offset : p_offset + p_filesz]
            if p_offset + p_filesz > len(data) or not raw.endswith(b"\0") or len(raw) < 2:
                raise ElfError(f"{name}: malformed PT_INTERP at offset {off:#x}")
            interp = raw[:-1].decode("utf-8", "surrogateescape")
            continue
        if p_type == PT_GNU_PROPERTY:
            properties = _gnu_properties(data[p_offset : p_offset + p_filesz])
            continue
        if p_type != PT_LOAD:
            continue
        if (p_filesz and p_offset + p_filesz > len(data)) or p_filesz > p_memsz:
            raise ElfError(f"{name}: segment at offset {off:#x} runs past the file")
        if p_vaddr + p_memsz > 1 << 64:
            raise ElfError(f"{name}: segment at offset {off:#x} runs past the 64-bit address space")
        if p_offset <= phoff < p_offset + p_filesz:
            phdr_vaddr = p_vaddr + phoff - p_offset
        segments.append(Segment(p_vaddr, p_memsz, data[p_offset : p_offset + p_filesz], p_flags))
    if not segments:
        raise ElfError(f"{name}: no loadable segment")
    return ElfImage(machine, entry, tuple(segments), phdr_vaddr, phent, phnum, e_type, interp,
                    properties)  # fmt: skip


def _gnu_properties(note: bytes) -> dict[int, int]:
    """The properties with 4-byte values of a NT_GNU_PROPERTY_TYPE_0 note ("GNU"), each
    (pr_type, pr_datasz, data padded to 8 bytes); {} for anything else."""
    if len(note) < 16:
        return {}
    namesz, descsz, kind = struct.unpack_from("<III", note)
    if kind != NT_GNU_PROPERTY_TYPE_0 or namesz != 4 or note[12:16] != b"GNU\0":
        return {}
    desc = note[16 : 16 + descsz]
    out: dict[int, int] = {}
    at = 0
    while at + 8 <= len(desc):
        pr_type, size = struct.unpack_from("<II", desc, at)
        if at + 8 + size > len(desc):
            break
        if size == 4:
            out[pr_type] = struct.unpack_from("<I", desc, at + 8)[0]
        at += 8 + ((size + 7) & ~7)
    return out
