"""The core's enum members the translators test and pass, as Final aliases.

Owns nothing but names: ``COND_*`` (``tcgkit.tcg.types.Cond``), ``RM_*``
(``RoundingMode``) and ``JMP_*`` (``DisasJump``). Compiled with the translators:
a use of an alias is a static read, where ``Cond.EQ`` is a module-global lookup
and a class attribute lookup, for every instruction translated.
"""

from __future__ import annotations

from typing import Final

from tcgkit.target import DisasJump
from tcgkit.tcg.types import Cond, RoundingMode

COND_ALWAYS: Final = Cond.ALWAYS
COND_EQ: Final = Cond.EQ
COND_GE: Final = Cond.GE
COND_GEU: Final = Cond.GEU
COND_GT: Final = Cond.GT
COND_GTU: Final = Cond.GTU
COND_LE: Final = Cond.LE
COND_LT: Final = Cond.LT
COND_LTU: Final = Cond.LTU
COND_NE: Final = Cond.NE
COND_TSTEQ: Final = Cond.TSTEQ
COND_TSTNE: Final = Cond.TSTNE
RM_DOWN: Final = RoundingMode.DOWN
RM_NEAREST_AWAY: Final = RoundingMode.NEAREST_AWAY
RM_NEAREST_EVEN: Final = RoundingMode.NEAREST_EVEN
RM_UP: Final = RoundingMode.UP
RM_ZERO: Final = RoundingMode.ZERO
JMP_NORETURN: Final = DisasJump.NORETURN
JMP_TOO_MANY: Final = DisasJump.TOO_MANY
