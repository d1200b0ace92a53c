"""Signal numbers on the wire: gdb's own numbering (its ``gdb/signals.def``), not the
guest's.

Owns ``to_gdb`` (a Linux signal number, as the generic Linux ABI numbers them, the
one aarch64 uses -> gdb's: stop replies T/S/X) and ``from_gdb`` (gdb's -> Linux's:
the signal of ``C``/``S``/``vCont;C``). gdb numbers the classic signals like BSD and
has a block for the real-time ones: SIGUSR1 is 10 for Linux and 30 for gdb.
"""

from __future__ import annotations

#: Linux -> gdb for the signals 1..31 (16, SIGSTKFLT, has no gdb name)
_CLASSIC = {
    1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 10, 8: 8, 9: 9, 10: 30, 11: 11, 12: 31,
    13: 13, 14: 14, 15: 15, 17: 20, 18: 19, 19: 17, 20: 18, 21: 21, 22: 22, 23: 16,
    24: 24, 25: 25, 26: 26, 27: 27, 28: 28, 29: 23, 30: 32, 31: 12,
}  # fmt: skip
_GDB_REALTIME_33 = 45  # GDB_SIGNAL_REALTIME_33; 34..63 follow it
_GDB_REALTIME_32, _GDB_REALTIME_64 = 77, 78
GDB_UNKNOWN = 143
_FROM_GDB = {g: s for s, g in _CLASSIC.items()}


def to_gdb(sig: int) -> int:
    """gdb's number for Linux signal ``sig`` (0 stays 0; one gdb has no name for:
    GDB_SIGNAL_UNKNOWN)."""
    if sig == 0:
        return 0
    if sig in _CLASSIC:
        return _CLASSIC[sig]
    if 33 <= sig <= 63:
        return _GDB_REALTIME_33 + sig - 33
    if sig == 32:
        return _GDB_REALTIME_32
    if sig == 64:
        return _GDB_REALTIME_64
    return GDB_UNKNOWN


def from_gdb(number: int) -> int:
    """The Linux signal for gdb's ``number`` (0: none); ValueError for one Linux has not."""
    if number == 0:
        return 0
    if number in _FROM_GDB:
        return _FROM_GDB[number]
    if _GDB_REALTIME_33 <= number <= _GDB_REALTIME_33 + 30:
        return number - _GDB_REALTIME_33 + 33
    if number == _GDB_REALTIME_32:
        return 32
    if number == _GDB_REALTIME_64:
        return 64
    raise ValueError(f"gdb signal {number} has no Linux equivalent")
