"""The hash function of the modern TB hash-table policies: xxh32 of the TB key.

Owns ``tb_hash_xx``, the 32-bit hash the qht policies (and, through their own
copy, the legacy ``xxhash`` and ``xxhash-rcu`` policies) compute for a
``TBKey``, and ``tb_hash_xx_python``, the same function written out in
Python: it documents the algorithm, the tests check the fast one against it,
and it is the candidate the package was measured against.

The hash is xxh32 (seed 1, as QEMU's ``qemu_xxhash*``) of the key's fields
packed little-endian into 32 bytes, in the order QEMU hashes them: the
physical page, pc and cs_base as 64-bit words, flags and cflags as 32-bit
words (``<QQQII``). Values outside those widths are reduced to them, so any
int key hashes; equal keys always hash equal, and the tables compare keys in
full, so the reduction can only cost a collision, never a wrong answer.

Why the ``xxhash`` package rather than our own Python: measured on CPython
3.11 (this project's 2-core machine), the package (pack 32 bytes, then
``xxh32_intdigest``) takes about 190 ns per key and the unrolled Python
version about 2600 ns (3100 ns written as a loop). A qht lookup costs about
1.4 us in all with the package's hash, so our own hash would nearly triple
the cost of every lookup. ``python benchmarks/qht_bench.py --hash`` repeats
the measurement. It also times CPython's own tuple hash (``hash(key)``, about
90 ns), which mixes each field with xxHash's 64-bit round but is not xxh32 of
the key and is not fixed by any specification: kept as a figure, not used.
"""

from __future__ import annotations

import struct
from typing import Final

import xxhash
from tcgkit.exec.tb_hash import TBKey

XXH_SEED: Final = 1  # QEMU_XXHASH_SEED

_M32: Final = 0xFFFFFFFF
_M64: Final = 0xFFFFFFFFFFFFFFFF
_PACK: Final = struct.Struct("<QQQII").pack  # phys_page, pc, cs_base, flags, cflags: 32 bytes
_XXH32: Final = xxhash.xxh32_intdigest

# xxh32's primes (the other two serve only inputs with a tail, which 32 bytes have not)
_P1: Final = 2654435761
_P2: Final = 2246822519
_P3: Final = 3266489917


def tb_hash_xx(key: TBKey) -> int:
    """xxh32 (seed 1) of the key packed as ``<QQQII`` (phys_page, pc, cs_base, flags, cflags)."""
    pc, cs_base, flags, cflags, phys_page = key
    try:
        data = _PACK(phys_page, pc, cs_base, flags, cflags)
    except struct.error:  # a negative or too wide field: reduce it to its width
        data = _PACK(phys_page & _M64, pc & _M64, cs_base & _M64, flags & _M32, cflags & _M32)
    return _XXH32(data, XXH_SEED)


def tb_hash_xx_python(key: TBKey, seed: int = XXH_SEED) -> int:
    """``tb_hash_xx`` written out in Python: xxh32 over the eight 32-bit lanes of the packed key.

    32 bytes are two 16-byte stripes of four lanes each and leave no tail, so
    the digest is: four accumulators fed two lanes each (one round per lane),
    merged by rotations, plus the length, then the final avalanche. Unrolled,
    since this is also the candidate that the package was measured against.
    """
    pc, cs_base, flags, cflags, phys_page = key
    phys_page &= _M64
    pc &= _M64
    cs_base &= _M64
    # first stripe: phys_page (lanes 0, 1) and pc (lanes 2, 3)
    v1 = (seed + _P1 + _P2 + (phys_page & _M32) * _P2) & _M32
    v1 = ((((v1 << 13) | (v1 >> 19)) & _M32) * _P1) & _M32
    v2 = (seed + _P2 + (phys_page >> 32) * _P2) & _M32
    v2 = ((((v2 << 13) | (v2 >> 19)) & _M32) * _P1) & _M32
    v3 = (seed + (pc & _M32) * _P2) & _M32
    v3 = ((((v3 << 13) | (v3 >> 19)) & _M32) * _P1) & _M32
    v4 = (seed - _P1 + (pc >> 32) * _P2) & _M32
    v4 = ((((v4 << 13) | (v4 >> 19)) & _M32) * _P1) & _M32
    # second stripe: cs_base (lanes 4, 5), flags (lane 6), cflags (lane 7)
    v1 = (v1 + (cs_base & _M32) * _P2) & _M32
    v1 = ((((v1 << 13) | (v1 >> 19)) & _M32) * _P1) & _M32
    v2 = (v2 + (cs_base >> 32) * _P2) & _M32
    v2 = ((((v2 << 13) | (v2 >> 19)) & _M32) * _P1) & _M32
    v3 = (v3 + (flags & _M32) * _P2) & _M32
    v3 = ((((v3 << 13) | (v3 >> 19)) & _M32) * _P1) & _M32
    v4 = (v4 + (cflags & _M32) * _P2) & _M32
    v4 = ((((v4 << 13) | (v4 >> 19)) & _M32) * _P1) & _M32
    h = ((v1 << 1) | (v1 >> 31)) + ((v2 << 7) | (v2 >> 25))
    h += ((v3 << 12) | (v3 >> 20)) + ((v4 << 18) | (v4 >> 14))
    h = (h + 32) & _M32  # plus the input length in bytes
    h ^= h >> 15
    h = (h * _P2) & _M32
    h ^= h >> 13
    h = (h * _P3) & _M32
    return h ^ (h >> 16)
