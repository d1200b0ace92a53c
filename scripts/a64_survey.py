#!/usr/bin/env python3
"""Survey the A64 instructions of ELF files that tcgkit's aarch64 target cannot translate.

Walks the executable sections of each file (the PF_X segments when a file has no
section headers) as 4-byte words, names each with capstone (a word capstone does not
decode is data, skipped), and translates each distinct word once with the target's
decoder, as one instruction of a throw-away TB (no emulator, no memory: the word is
the only code the DisasContext can fetch). Prints, per file and in total, the
capstone mnemonic (and the decoder's class, ``-`` when no pattern claims the word)
of every unsupported occurrence, most frequent first. UDF words (permanently
undefined: padding and literal data in text sections) are counted apart.

    .venv/bin/python scripts/a64_survey.py FILE... [--top N] [--totals-only]
                                           [--reasons] [--examples N]

A word that makes the translator fail with anything but InvalidInstructionError is
a bug of the target: such words are listed apart (``BUG``).
"""

from __future__ import annotations

import argparse
import hashlib
import struct
import sys
from collections import Counter
from pathlib import Path

import capstone
from tcgkit.errors import InvalidInstructionError
from tcgkit.target import DisasContext
from tcgkit.tcg.context import TCGContext
from tcgkit_target_aarch64 import AArch64Target
from tcgkit_target_aarch64 import state as S
from tcgkit_target_aarch64.decode import decode

SHF_EXECINSTR = 0x4
PF_X = 1


def code_ranges(data: bytes) -> list[tuple[str, int, bytes]]:
    """(name, address, bytes) of each executable section (or PF_X segment)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a little-endian ELF64 file")
    (e_phoff, e_shoff) = struct.unpack_from("<QQ", data, 0x20)
    e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = struct.unpack_from(
        "<HHHHH", data, 0x36
    )
    out = []
    if e_shoff and e_shnum:
        shdrs = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
                 for i in range(e_shnum)]  # fmt: skip
        strtab = shdrs[e_shstrndx][4] if e_shstrndx < e_shnum else 0
        for name, sh_type, flags, addr, off, size, *_ in shdrs:
            if flags & SHF_EXECINSTR and sh_type != 8:  # not SHT_NOBITS
                end = data.index(b"\0", strtab + name) if strtab else 0
                label = data[strtab + name : end].decode() if strtab else "?"
                out.append((label, addr, data[off : off + size]))
        if out:
            return out
    for i in range(e_phnum):
        p_type, p_flags, p_off, p_vaddr, _, p_filesz, *_ = struct.unpack_from(
            "<IIQQQQQQ", data, e_phoff + i * e_phentsize
        )
        if p_type == 1 and p_flags & PF_X:
            out.append((f"segment{i}", p_vaddr, data[p_off : p_off + p_filesz]))
    return out


class Translator:
    """Translates single words with the aarch64 decoder, remembering each verdict, as a
    Linux process's TBs are translated (``FLAG_PAUTH``: pointer authentication with the
    keys enabled, where PACGA exists)."""

    def __init__(self, rmode: int = 0) -> None:
        self.target = AArch64Target()
        template = TCGContext(self.target.state_size)
        self.target.init_globals(template)
        template.freeze()
        self.ctx = template.clone("survey")
        self.flags = rmode | S.FLAG_PAUTH
        #: word -> None (translated) or (class name, reason, is_bug)
        self.cache: dict[int, tuple[str, str, bool] | None] = {}

    def check(self, word: int) -> tuple[str, str, bool] | None:
        if word in self.cache:
            return self.cache[word]
        raw = word.to_bytes(4, "little")

        def fetch(pc: int, size: int) -> bytes:
            return raw[pc - 0x1000 : pc - 0x1000 + size]

        self.ctx.reset()
        dc = DisasContext(self.ctx, 0x1000, 0x1000, self.flags, 0, 1, fetch)
        dc.insn_start_pc = 0x1000
        handler = decode(word)
        cls = handler.__name__ if handler is not None else "-"
        verdict: tuple[str, str, bool] | None = None
        try:
            self.target.translate_insn(dc)
        except InvalidInstructionError as exc:
            reason = str(exc).split(": ", 1)[1] if ": " in str(exc) else ""
            verdict = (cls, reason, False)
        except Exception as exc:  # a bug in the target
            verdict = (cls, f"{type(exc).__name__}: {exc}", True)
        self.cache[word] = verdict
        return verdict


def survey(path: Path, tr: Translator, md: capstone.Cs,
           udf: list[int]) -> tuple[int, Counter, Counter, dict]:  # fmt: skip
    """(instruction words, unsupported by (mnemonic, class), reasons, an example each);
    ``udf[0]`` counts the UDF words, which are skipped."""
    data = path.read_bytes()
    total = 0
    unsupported: Counter = Counter()
    reasons: Counter = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    for _, addr, code in code_ranges(data):
        code = code[: len(code) & ~3]
        for address, size, mnemonic, op_str in md.disasm_lite(code, addr):
            if size != 4 or mnemonic == ".byte":
                continue
            if mnemonic == "udf":  # permanently undefined (padding, literal data): not counted
                udf[0] += 1
                continue
            off = address - addr
            word = int.from_bytes(code[off : off + 4], "little")
            total += 1
            verdict = tr.check(word)
            if verdict is None:
                continue
            cls, reason, bug = verdict
            key = (("BUG " if bug else "") + mnemonic, cls)
            unsupported[key] += 1
            reasons[(key, reason)] += 1
            ex = examples.setdefault(key, [])
            if len(ex) < 3 and all(not e.startswith(f"{word:08x}") for e in ex):
                ex.append(f"{word:08x} {mnemonic} {op_str}")
    return total, unsupported, reasons, examples


def _table(counter: Counter, top: int, examples: dict | None = None, width: int = 60) -> str:
    lines = []
    for (mnemonic, cls), n in counter.most_common(top or None):
        line = f"  {n:8d}  {mnemonic:<14} {cls:<22}"
        if examples:
            line += "  " + " | ".join(examples.get((mnemonic, cls), []))[:width]
        lines.append(line.rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--top", type=int, default=25, help="rows per table (0: all)")
    ap.add_argument("--totals-only", action="store_true", help="no per-file tables")
    ap.add_argument("--reasons", action="store_true", help="the translator's reasons, in total")
    ap.add_argument("--examples", type=int, default=0, metavar="WIDTH",
                    help="show example words in the total table, in WIDTH characters")  # fmt: skip
    args = ap.parse_args(argv)
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.skipdata = True
    tr = Translator()
    seen: set[str] = set()
    grand_words = 0
    grand: Counter = Counter()
    grand_reasons: Counter = Counter()
    grand_examples: dict = {}
    udf = [0]
    for path in args.files:
        if path.is_symlink() or not path.is_file():
            path = path.resolve()
        try:
            digest = hashlib.sha1(path.read_bytes()).hexdigest()
        except OSError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            continue
        if digest in seen:  # hard links and copies (busybox's applets)
            continue
        seen.add(digest)
        try:
            words, unsup, reasons, examples = survey(path, tr, md, udf)
        except ValueError as exc:
            print(f"{path}: skipped: {exc}", file=sys.stderr)
            continue
        grand_words += words
        grand.update(unsup)
        grand_reasons.update(reasons)
        for k, v in examples.items():
            grand_examples.setdefault(k, v)
        n = sum(unsup.values())
        if not args.totals_only:
            print(f"== {path}: {words} instructions, {n} unsupported "
                  f"({100 * n / max(words, 1):.2f}%), {len(unsup)} kinds")  # fmt: skip
            if unsup:
                print(_table(unsup, args.top))
    n = sum(grand.values())
    print(f"== TOTAL: {len(seen)} files, {grand_words} instructions, {n} unsupported "
          f"({100 * n / max(grand_words, 1):.3f}%), {len(grand)} kinds, "
          f"{len(tr.cache)} distinct words; {udf[0]} UDF words skipped")  # fmt: skip
    print(_table(grand, args.top, grand_examples if args.examples else None, args.examples))
    if args.reasons:
        print("== reasons")
        for ((mnemonic, cls), reason), k in grand_reasons.most_common(args.top or None):
            print(f"  {k:8d}  {mnemonic:<14} {cls:<22} {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
