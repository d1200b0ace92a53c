"""Run on a ppc64le machine (an emulated one: see test_emulated_crypto.py): the
optional crypto ops (``aese_i64``, ``aesd_i64``, ``aesmc_i64``, ``aesimc_i64``,
``clmul_i64``) lowered to the vector crypto facility and executed natively, on
the operands' edges and random values, give what the reference
(``tcgkit.tcg.semantics``) gives; so do the generic expansions
(``tcgkit.tcg.crypto``) a host without the facility runs, and those of the SHA-1,
SHA-256 and SHA-512 ops (``tcgkit.tcg.crypto_sha`` too), which this host never
lowers. Every value live across the op survives and the inputs are left alone.

Exit status 0 when everything matched.

    python native_crypto.py [RANDOM_CASES]
"""

from __future__ import annotations

import random
import sys

from tcgkit.native.backend import Runtime
from tcgkit.native.memory import ExecPage, NativeCPU, libgcc_clear_cache
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.ops import EXIT_LOOKUP
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit.tcg.semantics import evaluate_op
from tcgkit.testing.ir_programs import CRYPTO_INPUTS, SHA_INPUTS, crypto_op_program, sha_op_program
from tcgkit_host_ppc.backend import allocator
from tcgkit_host_ppc.features import detect
from tcgkit_host_ppc.lower import lower, prologue
from tcgkit_host_ppc.lower_crypto import crypto_ops

M64 = (1 << 64) - 1
EDGES = (0, 1, M64, 1 << 63, 0x8080808080808080, 0x0123456789ABCDEF)

flush = libgcc_clear_cache()
features = detect()
page = ExecPage(prologue(), flush)
buffer = CodeBuffer(2 << 20, 1 << 20, executable=True)
region = buffer.claim()
rt = Runtime(0, 0, lambda opc, consts: 0, None, 0)


def place(kind: str, host_ops: frozenset[str]) -> tuple[int, bool]:
    """The code of ``g4, g5 = kind(g0, g1[, g2, g3])`` (a SHA op: ``g6, g7 =
    kind(g0 ...)``) for a host lowering ``host_ops``, and whether the optional op
    itself is in it."""
    ctx = (sha_op_program if kind in SHA_INPUTS else crypto_op_program)(kind, host_ops)
    optimize(ctx)
    liveness(ctx)
    out = lower(allocate(ctx.ops, allocator()), 0, 0, rt, lambda op: 0, features)
    at = region.alloc(len(out.code))
    assert at is not None
    region.write(at, out.code)
    flush(at, len(out.code))
    return at + out.nocheck, any(op.opc == f"{kind}_i64" for op in ctx.ops)


def main() -> int:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print("features:", features.as_dict())
    assert features.vcrypto, "this machine has no vector crypto facility"
    rng = random.Random(2026)
    native = NativeCPU(8)
    state = native.state
    checked = 0
    runs = (
        (crypto_ops(features), "vector crypto", CRYPTO_INPUTS),
        (frozenset(), "generic", CRYPTO_INPUTS),
        (crypto_ops(features), "sha", SHA_INPUTS),
    )
    for host_ops, label, kinds in runs:
        for kind, n_in in kinds.items():
            code, inline = place(kind, host_ops)
            assert inline == (label == "vector crypto"), (kind, label)
            n = 6 if kind in SHA_INPUTS else 4  # the inputs' slots, then the two outputs
            inputs = [[a, b, b ^ M64, a ^ 0x5A5A5A5A5A5A5A5A, b, a][:n] for a in EDGES
                      for b in EDGES]  # fmt: skip
            inputs += [[rng.getrandbits(64) for _ in range(n)] for _ in range(cases)]
            for ins in inputs:
                want = list(evaluate_op(f"{kind}_i64", kind, 64, tuple(ins[:n_in]), ()))
                for i, v in enumerate(ins):
                    state[i] = v
                state[n], state[n + 1] = 0xDEAD, 0xBEEF
                assert page.entry(native.state_addr, code) & 15 == EXIT_LOOKUP
                got = list(state)
                if got[n : n + 2] != want or got[:n] != ins:
                    print(f"MISMATCH {label} {kind} {[hex(x) for x in ins]}: "
                          f"{[hex(x) for x in got]} want {[hex(x) for x in want]}")  # fmt: skip
                    return 1
                checked += 1
        print(f"{label}: {len(kinds)} ops matched")
    print(f"crypto ops matched: {checked} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
