"""The native mirror's contract (``tcgkit.testing.tb_mirror_contract``) on this
package's policies, which ``conftest.py`` names: each one offers a mirror."""

from tcgkit.testing.tb_mirror_contract import *  # noqa: F403
