"""The contract between generated code and Python: exit words and the native block.

Owns numbers only. Generated code is entered through a host prologue
(``entry(state, code) -> exit word``) that keeps the CPU-state pointer in a
fixed register; every exit returns the *exit word* ``tb_id << EXIT_SHIFT |
code``.

The per-vCPU native block holds, at negative offsets from the CPU state:

* control words: the exit request (checked at every TB entry), the guest
  instruction counter, the run's ``until`` pc, the location of the running
  helper call (``tb_id << 16 | guest instruction index``), a helper's result,
  and four 32-bit words of host-specific constants (x86: the MXCSR images of
  the rounding modes; AArch64: the FPCR images);
* the software TLB: ``TLB_SIZE`` entries of (read tag, write tag, addend, -);
* the jump cache: ``JC_SIZE`` entries of (pc, TB-flags key, host code, -);
* the second-level TLB: ``L2_SIZE`` entries like the TLB's, direct-mapped by
  guest page number over a reach of ``L2_SIZE`` pages. Python fills it a whole
  RAM range at a time when it resolves a miss there (``TLBMirror.fill_range``);
  a host whose slow path probes it (``NativeHost.l2_refill``) refills a first-level
  miss from it without leaving generated code, counting each refill in
  ``OFF_REFILLS``. Whatever flushes or invalidates a first-level entry does the
  same to the second level, so an entry there is always one that ``SoftTLB.fill``
  would make now;
* the native-lookup words (``OFF_NL`` + ``NL_*``), for hosts that look TBs up in
  the TB hash table's native mirror from generated code (``tb_mirror``; x86-64):
  the lookup routine's address (0: goto_ptr's misses exit to Python), the
  mirror's table header, the TB-key words of the vCPU's current CPU mode (the
  probed flags bits they hold for, cs_base, flags | cflags << 32), the mode
  (fill the jump cache, MRU on lookup) and the vCPU's own counters of native
  lookups (hits, misses, promotions, seqlock retries, probes), written by its
  thread alone;
* the float-flag words (``OFF_FP_SAVE``, ``OFF_FP_SCRATCH``): the image of the host's
  flag register saved when generated code calls or leaves (see below).
"""

from __future__ import annotations

from typing import Final

from ..exec.jmp_cache import JMP_CACHE_BITS
from ..exec.softmmu import L2_BITS, TLB_BITS

# -- exit codes (the low bits of the exit word) ------------------------------------------
EXIT_SHIFT: Final = 4
EXIT_HELPER_RAISED: Final = 4  # a helper or the memory slow path raised: see the pending exception
EXIT_AT_ENTRY: Final = 5  # the exit request was seen before the TB ran: the pc is the TB's
# (0, 1: goto_tb slots; 2: EXIT_LOOKUP; 3: EXIT_REQUESTED, as in tcgkit.tcg.ops)

#: the memop argument of the memory slow path: this bit set means a store
STORE_FLAG: Final = 1 << 8
#: the word of a load from a host's shared slow path (``SlowPath.load``): memop << 48 |
#: where, LOAD_NO_FLAGS when the float-flag image holds no flag (nothing to fold), and
#: LOAD_PC_SET when the caller stored its instruction's pc in the state (no sync_pc)
LOAD_MEMOP_SHIFT: Final = 48
LOAD_NO_FLAGS: Final = 1 << 57
LOAD_PC_SET: Final = 1 << 58

# -- the native block, at negative offsets from the CPU state ------------------------------
OFF_EXIT: Final = -8
OFF_ICOUNT: Final = -16
OFF_UNTIL: Final = -24
OFF_WHERE: Final = -32
OFF_RET: Final = -40
OFF_REFILLS: Final = -48  # first-level misses refilled from the second level by generated code
OFF_HOST: Final = -64  # 4 x u32 of host-specific constants
CONTROL_SIZE: Final = 64

TLB_SIZE: Final = 1 << TLB_BITS
TLB_ENTRY: Final = 32
TLB_TAG_READ: Final = 0
TLB_TAG_WRITE: Final = 8
TLB_ADDEND: Final = 16
OFF_TLB: Final = -(CONTROL_SIZE + TLB_SIZE * TLB_ENTRY)

JC_BITS: Final = JMP_CACHE_BITS
JC_SIZE: Final = 1 << JC_BITS
JC_ENTRY: Final = 32
JC_PC: Final = 0
JC_KEY: Final = 8
JC_CODE: Final = 16
OFF_JC: Final = OFF_TLB - JC_SIZE * JC_ENTRY

L2_SIZE: Final = 1 << L2_BITS  # 128 MiB of 4 KiB pages
L2_ENTRY: Final = TLB_ENTRY  # the same (read tag, write tag, addend, -) as the first level
OFF_L2: Final = OFF_JC - L2_SIZE * L2_ENTRY

# -- native TB lookups (``tb_mirror``): below the second level, so that adding them
# moved no offset other hosts encode
NL_FN: Final = 0  # the routine goto_ptr's jump-cache misses jump to (0: exit to Python)
NL_TABLE: Final = 8  # the mirror's table header (its word 0: the current map)
NL_SEEN: Final = 16  # state[probe] & mask the key words hold for (INVALID_TAG: none)
NL_CS_BASE: Final = 24
NL_FLAGS: Final = 32  # flags | cflags << 32: a slot's key word
NL_MODE: Final = 40  # NL_MODE_* bits
NL_HITS: Final = 48  # lookups that found their TB natively (this vCPU's)
NL_MISSES: Final = 56  # lookups that left for Python (key words stale, absent, `until`)
NL_MRU: Final = 64  # entries promoted to the head by this vCPU's lookups
NL_RETRIES: Final = 72  # walks redone: a writer in the bucket, or the map replaced
NL_PROBES: Final = 80  # slots compared by this vCPU's walks (as the qht policies count probes)
NL_SIZE: Final = 128
NL_MODE_FILL_JC: Final = 1  # a hit fills the jump cache (jump cache on)
NL_MODE_MRU: Final = 2  # a hit past the head bucket promotes its entry (qht-dyn-mru)
OFF_NL: Final = OFF_L2 - NL_SIZE

# -- float flags (``GuestTarget.fp_flags_offset``), below the native-lookup words: a
# host that keeps the IEEE flags in a host register while in generated code
# (``NativeHost.keeps_fp_flags``; x86-64: MXCSR) saves that register's image in
# ``OFF_FP_SAVE`` before Python runs (an exit, a call) and reloads it after a call;
# Python folds the image's flags into the target's word (``NativeHost.fold_fp_flags``)
# and clears them there. ``OFF_FP_SCRATCH``: a word the host's float code may use.
FP_SIZE: Final = 64  # keeps the CPU state 64-byte aligned
OFF_FP: Final = OFF_NL - FP_SIZE
OFF_FP_SAVE: Final = OFF_FP
OFF_FP_SCRATCH: Final = OFF_FP + 8

NATIVE_SIZE: Final = -OFF_FP  # bytes before the CPU state
INVALID_TAG: Final = (1 << 64) - 1
