"""A two-pass assembler for the toy ISA (tests write guest code as text).

Syntax: one instruction per line, ``;`` comments, ``name:`` labels; branch
and jal targets may be labels. Memory operands are ``[rb + imm]`` or ``[rb]``.
"""

from __future__ import annotations

import re

from .isa import SHAPES, Op


def _reg(tok: str) -> int:
    if not re.fullmatch(r"r[0-7]", tok):
        raise ValueError(f"not a register: {tok!r}")
    return int(tok[1])


def assemble(text: str, base: int = 0) -> bytes:
    """Machine code for ``text`` placed at ``base``."""
    lines = []
    labels: dict[str, int] = {}
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        while ":" in line:
            name, line = line.split(":", 1)
            labels[name.strip()] = base + 4 * len(lines)
            line = line.strip()
        if line:
            lines.append(line)
    out = bytearray()
    for i, line in enumerate(lines):
        pc = base + 4 * i
        mnemonic, _, rest = line.partition(" ")
        op = Op[mnemonic.upper()]
        args = [a.strip() for a in re.split(r",(?![^\[]*\])", rest) if a.strip()]
        fields = [0, 0, 0]
        pos = 0
        for shape, arg in zip(SHAPES[op], args, strict=True):
            if shape == "r":
                fields[pos] = _reg(arg)
                pos += 1
            elif shape == "m":
                m = re.fullmatch(r"\[\s*(r[0-7])\s*(?:([+-])\s*(\w+))?\s*\]", arg)
                if m is None:
                    raise ValueError(f"bad memory operand {arg!r}")
                fields[1] = _reg(m.group(1))
                off = int(m.group(3), 0) if m.group(3) else 0
                fields[2] = (-off if m.group(2) == "-" else off) & 0xFF
            elif shape == "i8":
                fields[pos] = int(arg, 0) & 0xFF
            else:
                value = (labels[arg] - pc) // 4 if arg in labels else int(arg, 0)
                value &= 0xFFFF
                fields[1], fields[2] = value & 0xFF, value >> 8
        out += bytes([op, *fields])
    return bytes(out)
