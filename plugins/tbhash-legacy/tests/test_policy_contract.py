"""The TB hash-table policy contract (``tcgkit.testing.tb_hash_contract``) on
this package's policies, which ``conftest.py`` names."""

from tcgkit.testing.tb_hash_contract import *  # noqa: F403
