#!/usr/bin/env python3
"""Coverage of the A64 encoding classes by tcgkit's aarch64 decoder, as a Markdown table.

The A64 user-level instruction set is listed in ``a64_encodings.py`` as the Arm ARM's
encoding index groups it: top-level group, encoding class, and in each class its
instructions, one or more bit patterns each (written most significant bit first;
``0``/``1`` are the fixed bits that select the instruction, an upper-case letter
is a field swept over all its values, such as size, Q, sf or ftype, and any other
character is an operand bit, drawn at random with a fixed seed). Every pattern
yields a few concrete words per combination of its swept fields; words capstone
does not decode (unallocated or reserved combinations) are dropped, so only real
instructions count. Each remaining word is translated by the real decoder as in
``a64_survey.py``. An instruction is implemented when all its words translate,
partial when only some do, missing when none does.

    .venv/bin/python scripts/a64_coverage.py > docs/a64-coverage.md
    .venv/bin/python scripts/a64_coverage.py --check   # capstone's names per pattern

The output is deterministic (fixed seeds, fixed order), so a test can check that
docs/a64-coverage.md is current.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import capstone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from a64_encodings import GROUPS, LIST_LIMIT, WORDS_PER_COMBINATION, classes
from a64_survey import Translator


def _words(pattern: str, seed: str) -> list[int]:
    """Concrete words of ``pattern``: every combination of its swept (upper-case) bits,
    WORDS_PER_COMBINATION times with random operand bits."""
    bits = pattern.replace(" ", "")
    if len(bits) != 32:
        raise ValueError(f"pattern {pattern!r} is {len(bits)} bits")
    fixed = sweep_mask = 0
    sweep_pos: list[int] = []
    rand_mask = 0
    for i, ch in enumerate(bits):
        pos = 31 - i
        if ch == "1":
            fixed |= 1 << pos
        elif ch == "0":
            pass
        elif ch.isupper():
            sweep_pos.append(pos)
            sweep_mask |= 1 << pos
        else:
            rand_mask |= 1 << pos
    rng = random.Random(seed)
    out = []
    for combo in range(1 << len(sweep_pos)):
        swept = 0
        for k, pos in enumerate(sweep_pos):
            if combo >> k & 1:
                swept |= 1 << pos
        for _ in range(WORDS_PER_COMBINATION):
            out.append(fixed | swept | (rng.getrandbits(32) & rand_mask))
    return out


@dataclass
class Insn:
    mnemonic: str
    ok: int = 0
    bad: int = 0
    bugs: int = 0
    bad_labels: set = field(default_factory=set)
    names: Counter = field(default_factory=Counter)  # capstone's mnemonics

    @property
    def status(self) -> str:
        if self.ok + self.bad == 0:
            return "unknown"
        return "missing" if self.ok == 0 else "partial" if self.bad else "implemented"


@dataclass
class ClassResult:
    group: str
    name: str
    insns: dict[str, Insn]

    def counted(self) -> list[Insn]:
        return [i for i in self.insns.values() if i.status != "unknown"]

    def with_status(self, status: str) -> list[Insn]:
        return sorted((i for i in self.counted() if i.status == status), key=lambda i: i.mnemonic)


def evaluate() -> list[ClassResult]:
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    tr = Translator()
    results = []
    for group, name, entries in classes():
        insns: dict[str, Insn] = {}
        for entry in entries:
            mnemonic, pattern = entry[0], entry[1]
            label = entry[2] if len(entry) > 2 else ""
            insn = insns.setdefault(mnemonic, Insn(mnemonic))
            for word in _words(pattern, f"{name}|{mnemonic}|{pattern}"):
                decoded = list(md.disasm_lite(word.to_bytes(4, "little"), 0))
                if not decoded:
                    continue  # unallocated or reserved: not a real instruction
                insn.names[decoded[0][2]] += 1
                verdict = tr.check(word)
                if verdict is None:
                    insn.ok += 1
                    continue
                insn.bad += 1
                insn.bugs += verdict[2]
                if label:
                    insn.bad_labels.add(label)
        results.append(ClassResult(group, name, insns))
    return results


def _names(insns: list[Insn], limit: int = LIST_LIMIT) -> str:
    names = []
    for i in insns:
        text = i.mnemonic
        if i.bad_labels and i.status == "partial":
            text += " [" + ", ".join(sorted(i.bad_labels)) + "]"
        if i.bugs:
            text += " (BUG)"
        names.append(text)
    if len(names) > limit:
        names = [*names[:limit], f"... (+{len(names) - limit} more)"]
    return ", ".join(names) or "-"


HEADER = """\
# A64 encoding coverage

Which A64 user-level instructions the aarch64 target's decoder
(`plugins/target-aarch64/src/tcgkit_target_aarch64/decode.py`) translates, per
encoding class as the Arm ARM's A64 encoding index groups them.

Generated, do not edit: `python scripts/a64_coverage.py > docs/a64-coverage.md`
(`tests/test_a64_coverage.py` checks that this file is current). The script's own
table lists each class's instructions as bit patterns (the fixed bits selecting the
instruction, with size/type fields swept over all their values and operand fields
drawn with fixed seeds); each concrete word that capstone decodes (so unallocated
and reserved combinations are not counted, nor instructions capstone does not know)
is translated as a one-instruction TB, with the TB flags of a Linux process
(pointer authentication keys enabled: PACGA, which an emulator with the keys
disabled refuses as Unicorn's max does, counts). An instruction is *implemented*
when all its words translate, *partial* when only some do (listed with the failing
system registers where that is the split), *missing* when none does.

SVE and SME (and the privileged-only instructions: HVC, SMC, ERET, MSR DAIFSet, TLBI,
AT, ...) are out of scope for the target: a Linux user-mode guest runs without them.
"""


def render(results: list[ClassResult] | None = None) -> str:
    if results is None:
        results = evaluate()
    out = [HEADER]
    out.append("## Totals\n")
    out.append("| Group | Implemented | Partial | Missing | Instructions |")
    out.append("|---|---:|---:|---:|---:|")
    grand = Counter()
    for group in GROUPS:
        n = Counter()
        for r in results:
            if r.group == group:
                n.update(i.status for i in r.counted())
                n["total"] += len(r.counted())
        grand.update(n)
        out.append(f"| {group} | {n['implemented']} | {n['partial']} | {n['missing']} "
                   f"| {n['total']} |")  # fmt: skip
    out.append(f"| **All** | **{grand['implemented']}** | **{grand['partial']}** "
               f"| **{grand['missing']}** | **{grand['total']}** |")  # fmt: skip
    for group in GROUPS:
        out.append(f"\n## {group}\n")
        out.append("| Class | Implemented | Missing | Partial |")
        out.append("|---|---:|---|---|")
        for r in results:
            if r.group != group:
                continue
            counted = r.counted()
            impl = len(r.with_status("implemented"))
            cell = f"{impl}/{len(counted)}" if counted else "- (unknown to capstone)"
            missing = _names(r.with_status("missing"))
            partial = _names(r.with_status("partial"))
            out.append(f"| {r.name} | {cell} | {missing} | {partial} |")
    out.append("\n## Out of scope\n")
    out.append("| Class | State |")
    out.append("|---|---|")
    out.append("| SVE, SVE2 (op0 = 0010, and the SVE memory encodings) | out of scope |")
    out.append("| SME, SME2 (op0 = 0000 with op1 = 1) | out of scope |")
    return "\n".join(out) + "\n"


def check() -> None:
    """Print capstone's names for each instruction of the table (to review the table)."""
    for r in evaluate():
        print(f"== {r.group} / {r.name}")
        for i in r.insns.values():
            names = ", ".join(f"{n}:{k}" for n, k in sorted(i.names.items()))
            print(f"  {i.mnemonic:<28} {i.status:<11} {names}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="capstone's names per instruction")
    args = ap.parse_args(argv)
    if args.check:
        check()
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
