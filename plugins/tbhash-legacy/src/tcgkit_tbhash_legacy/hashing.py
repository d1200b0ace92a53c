"""The hash functions of the legacy policies: QEMU's old weak hash, and xxh32 of the key.

Owns ``tb_hash_weak`` (the ``master`` policy's) and ``tb_hash_xx`` (the
``xxhash`` and ``xxhash-rcu`` policies').

``tb_hash_weak`` is the hash QEMU's TB table used before the qht series: the
physical address of pc shifted right by two, which the table masks to its
size. It ignores cs_base, flags and cflags (TBs of one pc under different
flags always collide) and its high bits are those of the guest's small
physical address range, so more buckets than the code spans buy nothing: the
"little sensitivity to the number of buckets" of the study's master curve.
The physical address of pc is ``phys_page`` (the page-aligned physical
address of pc, QEMU's ``page_addr[0]``) plus pc's offset in its 4 KiB page.

``tb_hash_xx`` is the same function as ``tcgkit_tbhash_qht.hashing.tb_hash_xx``
(xxh32, seed 1, of the key packed as ``<QQQII``: phys_page, pc, cs_base,
flags, cflags), kept as a copy of those few lines so that this distribution
installs without the qht one; a test pins it to xxh32 of that packing.
"""

from __future__ import annotations

import struct

import xxhash
from tcgkit.exec.tb_hash import TBKey

XXH_SEED = 1  # QEMU_XXHASH_SEED
PAGE_OFFSET_MASK = 0xFFF  # offset of pc within its 4 KiB page

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_PACK = struct.Struct("<QQQII").pack  # phys_page, pc, cs_base, flags, cflags: 32 bytes
_XXH32 = xxhash.xxh32_intdigest


def tb_hash_weak(key: TBKey) -> int:
    """QEMU's pre-qht TB hash: the physical address of pc >> 2 (32 bits)."""
    return ((key.phys_page + (key.pc & PAGE_OFFSET_MASK)) >> 2) & _M32


def tb_hash_xx(key: TBKey) -> int:
    """xxh32 (seed 1) of the key packed as ``<QQQII`` (phys_page, pc, cs_base, flags, cflags)."""
    pc, cs_base, flags, cflags, phys_page = key
    try:
        data = _PACK(phys_page, pc, cs_base, flags, cflags)
    except struct.error:  # a negative or too wide field: reduce it to its width
        data = _PACK(phys_page & _M64, pc & _M64, cs_base & _M64, flags & _M32, cflags & _M32)
    return _XXH32(data, XXH_SEED)
