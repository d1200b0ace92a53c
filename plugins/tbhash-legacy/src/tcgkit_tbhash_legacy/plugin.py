"""The entry points of tcgkit-tbhash-legacy: one provider object per policy.

Owns the three objects the ``tcgkit`` entry points name (``master``,
``xxhash``, ``xxhash-rcu``); each implements the provider hook
``tcgkit_tb_hash_policies`` and registers its one policy class, so that each
policy is its own entry point, reported and loaded on its own.
"""

from __future__ import annotations

from tcgkit import hookimpl
from tcgkit.exec.tb_hash import TBHashPolicy
from tcgkit.hookspecs import Register

from .chained import MasterPolicy, XxhashPolicy
from .xxhash_rcu import XxhashRcuPolicy


class PolicyProvider:
    """A pluggy plugin that provides one TB hash-table policy class."""

    def __init__(self, policy: type[TBHashPolicy]) -> None:
        self.policy = policy

    @hookimpl
    def tcgkit_tb_hash_policies(self, register: Register) -> None:
        """Register this provider's policy class."""
        register(self.policy)

    def __repr__(self) -> str:
        return f"PolicyProvider({self.policy.name})"


master = PolicyProvider(MasterPolicy)
xxhash = PolicyProvider(XxhashPolicy)
xxhash_rcu = PolicyProvider(XxhashRcuPolicy)
