"""Hypothesis strategies of floating-point operands for the FP differential tests.

Owns ``float_bits`` (encodings around every boundary the IEEE flags depend on) and
``vector_of`` (a 128-bit register of such lanes). Needs the test dependency
hypothesis; imported by tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st


def float_bits(bits: int) -> st.SearchStrategy[int]:
    """Encodings of a ``bits``-wide binary float (16, 32 or 64) around every flag
    boundary: zeros, subnormals, the smallest normal and its neighbours, exponents
    near the bottom, the middle and the top of the range (products and quotients
    just below the smallest normal, sums just above the largest finite), the largest
    finite number, infinities, quiet and signalling NaNs."""
    if bits == 64:
        mb, eb = 52, 11
    elif bits == 16:
        mb, eb = 10, 5
    else:
        mb, eb = 23, 8
    sign = st.sampled_from([0, 1 << (bits - 1)])
    emax = (1 << eb) - 1
    frac = st.one_of(st.integers(0, (1 << mb) - 1), st.sampled_from([0, 1, (1 << mb) - 1,
                                                                    1 << (mb - 1)]))  # fmt: skip
    exps = st.one_of(st.integers(0, emax - 1), st.sampled_from([0, 1, 2, emax - 1, emax - 2]),
                     st.integers(1, 40), st.integers(emax - 40, emax - 1),
                     st.integers((emax >> 1) - 30, (emax >> 1) + 30))  # fmt: skip
    finite = st.builds(lambda s, e, m: s | e << mb | m, sign, exps, frac)
    special = st.builds(lambda s, m: s | emax << mb | m, sign,
                        st.sampled_from([0, 1, 1 << (mb - 1), (1 << mb) - 1, 5]))  # fmt: skip
    return st.one_of(finite, finite, finite, special)


def vector_of(bits: int) -> st.SearchStrategy[int]:
    """A 128-bit vector register of ``bits``-wide float lanes (``float_bits``)."""
    n = 128 // bits
    return st.lists(float_bits(bits), min_size=n, max_size=n).map(
        lambda lanes: sum(v << (bits * i) for i, v in enumerate(lanes))
    )
