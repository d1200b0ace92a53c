"""tcgkit-tbhash-legacy: the baselines QEMU's qht study measured qht against.

Owns the package's public names. ``chained`` holds ``master`` and ``xxhash``
(fixed buckets of linked TBs under one lock, MRU on lookup); ``xxhash_rcu``
the RCU-list variant, on the grace periods of ``rcu``; ``hashing`` the two
hash functions; ``counters`` per-thread lookup counters; ``plugin`` the
entry-point objects.
"""

from .chained import ChainedPolicy, MasterPolicy, XxhashPolicy
from .hashing import tb_hash_weak, tb_hash_xx
from .xxhash_rcu import XxhashRcuPolicy

POLICIES = (MasterPolicy, XxhashPolicy, XxhashRcuPolicy)

__all__ = [
    "POLICIES",
    "ChainedPolicy",
    "MasterPolicy",
    "XxhashPolicy",
    "XxhashRcuPolicy",
    "tb_hash_weak",
    "tb_hash_xx",
]
