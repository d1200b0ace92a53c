"""Run on a ppc64le machine (an emulated one: see test_emulated_fp_flags.py): an
AArch64 guest's FPSR through the engine on the ppc64le host, its float flags kept in
FPSCR by generated code and folded by the engine (at exits, helper calls and the
memory slow path), is the interpreted tier's (which computes every flag in Python,
``fpflags``): a sequence of scalar float instructions with MSR and MRS of FPSR
between them, guest loads and stores, in every rounding mode, FPCR.FZ and FPCR.DN
on and off, on edge operands. Exit status 0 when every example matched.

    python native_a64_fpsr.py CODE-HEX [EXAMPLES]
"""

from __future__ import annotations

import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit import PROT_ALL, Emulator
from tcgkit_target_aarch64.fp_operands import float_bits

CODE, DATA = 0x100000, 0x200000
TIERS = {"compiled": 0, "interpreted": 1 << 30}
NAMES = ["x5", "x6", "x7", "x8", "x9", "x11", "x12", "fpsr", "nzcv",
         *(f"d{i}" for i in range(9))]  # fmt: skip


def main(code: bytes, examples: int) -> None:
    emus = {}
    for tier, tier_up in TIERS.items():
        emu = emus[tier] = Emulator("aarch64", host="ppc64le", tier_up=tier_up)
        emu.mem_map(CODE, 0x1000, PROT_ALL)
        emu.mem_map(DATA, 0x1000, PROT_ALL)
        emu.mem_write(CODE, code)
    assert type(emus["compiled"].engine.host).__name__ == "PPC64Host"
    assert emus["compiled"].engine.host.computes_fp_flags
    count = [0]

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.integers(0, 3), st.booleans(), st.booleans(), float_bits(64), float_bits(64),
           float_bits(64), float_bits(32), st.integers(0, 0xFFFFFFFF),
           st.integers(0, 0xFFFFFFFF))  # fmt: skip
    def check(rm: int, fz: bool, dn: bool, d1: int, d2: int, d3: int, s4: int, x5: int,
              x7: int) -> None:  # fmt: skip
        fpcr = rm << 22 | fz << 24 | dn << 25
        state = [("fpcr", fpcr), ("fpsr", 0), ("x5", x5), ("x7", x7), ("x10", DATA),
                 ("d1", d1), ("d2", d2), ("d3", d3), ("d4", s4)]  # fmt: skip
        got = {}
        for tier, emu in emus.items():
            for name, v in state:
                emu.reg_write(name, v)
            emu.emu_start(CODE, CODE + len(code))
            got[tier] = [emu.reg_read(n) for n in NAMES]
        diffs = [f"{n}: compiled {c:#x} interpreted {i:#x}"
                 for n, c, i in zip(NAMES, got["compiled"], got["interpreted"], strict=True)
                 if c != i]  # fmt: skip
        assert not diffs, (f"fpcr {fpcr:#x} d1 {d1:#x} d2 {d2:#x} d3 {d3:#x} s4 {s4:#x} "
                           f"x5 {x5:#x} x7 {x7:#x}:\n" + "\n".join(diffs))  # fmt: skip
        count[0] += 1

    check()
    for emu in emus.values():
        emu.close()
    print(f"{count[0]} A64 FPSR examples matched")


if __name__ == "__main__":
    main(bytes.fromhex(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100)
