"""What the python host's two lowerings share: the generated function's conventions.

Owns the constants and checks that ``codegen`` (source) and ``lower`` (bytecode)
both follow, so that their code computes the same thing: the softmmu TLB's
geometry as the generated fast path reads it, the struct format of each guest
access, the CPU-state access sizes, the ops that are one call of their reference
(``crypto_reference``), and ``CodegenError`` (an op no lowering can express: a bug
in the target).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from tcgkit.tcg.ir import Op
from tcgkit.tcg.semantics import SHA_NAMES, clmul, sha_function
from tcgkit.tcg.types import MemOp

M64: Final = (1 << 64) - 1
PAGE_BITS: Final = 12
TLB_MASK: Final = 255
PAGE_MASK: Final = ~((1 << PAGE_BITS) - 1) & M64

#: the optional crypto ops the host lists (``PythonHost.optional_ops``): one call of
#: the reference each, where their generic expansions take tens of ops to hundreds
CRYPTO_OPS: Final = ("aese", "aesd", "aesmc", "aesimc", "clmul", *SHA_NAMES)


def crypto_reference(base: str) -> Callable[..., tuple[int, int]]:
    """The reference function of the crypto op ``base`` (one of ``CRYPTO_OPS``): it
    takes the op's inputs and gives its (lo, hi) in range. The AES module is imported
    here, when a TB first has such an op (it computes its S-box at import)."""
    if base == "clmul":
        return clmul
    if base.startswith("sha"):
        return sha_function(base)
    from tcgkit.tcg import aes

    fn: Callable[..., tuple[int, int]] = getattr(aes, base)
    return fn


#: bytes of each narrow CPU-state access
ENV_SIZES: Final = {"ld8u": 1, "ld8s": 1, "ld16u": 2, "ld16s": 2, "ld32u": 4, "ld32s": 4,
                    "st8": 1, "st16": 2, "st32": 4}  # fmt: skip


class CodegenError(Exception):
    """The IR cannot be expressed (a malformed op): a bug in the target."""


def struct_name(memop: int) -> tuple[str, str]:
    """The struct format of a guest access and a name for its function."""
    size = memop & MemOp.MO_SIZE
    fmt = "BHIQ"[size]
    if memop & MemOp.MO_SIGN:
        fmt = fmt.lower()
    order = ">" if memop & MemOp.MO_BE and size else "<"
    return f"{order}{fmt}", f"_{'be' if order == '>' else 'le'}{fmt}"


def check_field(op: Op, pos: int, n: int, w: int) -> None:
    if not (pos >= 0 and n > 0 and pos + n <= w):
        raise CodegenError(f"{op!r}: field ({pos}, {n}) does not fit {w} bits")
