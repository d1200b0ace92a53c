"""The entry points of tcgkit-tbhash-qht: one provider object per policy.

Owns the three objects the ``tcgkit`` entry points name (``qht-dyn-nomru``,
``qht-dyn-mru``, ``qht-fixed-nomru``); each implements the provider hook
``tcgkit_tb_hash_policies`` and registers its one policy class, so that each
policy is its own entry point, reported and loaded on its own.
"""

from __future__ import annotations

from tcgkit import hookimpl
from tcgkit.hookspecs import Register

from .qht import QhtDynMru, QhtDynNoMru, QhtFixedNoMru, QhtPolicy


class PolicyProvider:
    """A pluggy plugin that provides one TB hash-table policy class."""

    def __init__(self, policy: type[QhtPolicy]) -> None:
        self.policy = policy

    @hookimpl
    def tcgkit_tb_hash_policies(self, register: Register) -> None:
        """Register this provider's policy class."""
        register(self.policy)

    def __repr__(self) -> str:
        return f"PolicyProvider({self.policy.name})"


dyn_nomru = PolicyProvider(QhtDynNoMru)
dyn_mru = PolicyProvider(QhtDynMru)
fixed_nomru = PolicyProvider(QhtFixedNoMru)
