"""The x86-64 host's compare-and-swap routines, for guest atomics of several vCPUs.

Owns ``routines()``: System V functions that ``tcgkit.exec.atomic`` calls
through ctypes (``NativeHost.atomic_routines``), each one ``lock cmpxchg``
(``lock cmpxchg16b`` for 16 bytes), so that a guest compare-and-swap is
atomic against every other vCPU's generated code, plain stores included.

    cas_N(rdi = ptr, rsi = expected, rdx = new) -> rax = the value read
    cas_pair(rdi = ptr, rsi = exp_lo, rdx = exp_hi, rcx = new_lo, r8 = new_hi,
             r9 = out): out[0], out[1] = the pair read (ptr 16-byte aligned)
"""

from __future__ import annotations

from tcgkit.native.backend import AtomicRoutines

_MOV_EAX_ESI = bytes.fromhex("89f0")
_RET = b"\xc3"

#: by log2 of the size: the expected value in rax, lock cmpxchg [rdi], new; zero-extend
_CAS = (
    _MOV_EAX_ESI + bytes.fromhex("f00fb017") + bytes.fromhex("0fb6c0") + _RET,  # dl; movzx al
    _MOV_EAX_ESI + bytes.fromhex("66f00fb117") + bytes.fromhex("0fb7c0") + _RET,  # dx; movzx ax
    _MOV_EAX_ESI + bytes.fromhex("f00fb117") + _RET,  # edx (a 32-bit write zero-extends)
    bytes.fromhex("4889f0") + bytes.fromhex("f0480fb117") + _RET,  # mov rax, rsi; rdx
)

_CAS_PAIR = bytes.fromhex(
    "53"  # push rbx
    "4889f0"  # mov rax, rsi          (expected: rdx:rax)
    "4889cb"  # mov rbx, rcx          (new: rcx:rbx)
    "4c89c1"  # mov rcx, r8
    "f0480fc70f"  # lock cmpxchg16b [rdi]
    "498901"  # mov [r9], rax         (the pair read, whether or not it was swapped)
    "49895108"  # mov [r9 + 8], rdx
    "5b"  # pop rbx
    "c3"  # ret
)


def routines(pair: bool = True) -> AtomicRoutines:
    """The routines; ``cas_pair`` only with ``pair`` (CMPXCHG16B: feature ``cx16``)."""
    return AtomicRoutines.layout(_CAS, _CAS_PAIR if pair else None, pad=b"\xcc")  # int3 between
