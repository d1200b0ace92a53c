"""tcgkit-tbhash-qht: the TB hash-table policies of QEMU's qht study that use qht.

Owns the package's public names. The table itself, with its assumptions,
guarantees and concurrency protocol, is in ``qht``; the hash of a TB key in
``hashing``; per-thread event counters in ``counters``; the entry-point
objects in ``plugin``.
"""

from .hashing import tb_hash_xx, tb_hash_xx_python
from .qht import POLICIES, QhtDynMru, QhtDynNoMru, QhtFixedNoMru, QhtPolicy

__all__ = [
    "POLICIES",
    "QhtDynMru",
    "QhtDynNoMru",
    "QhtFixedNoMru",
    "QhtPolicy",
    "tb_hash_xx",
    "tb_hash_xx_python",
]
