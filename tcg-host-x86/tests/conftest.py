"""Running IR on the x86-64 host without an emulator: allocate, lower, place the
code in an executable buffer and call it through the prologue."""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator

import pytest
from tcgkit.native import layout
from tcgkit.native.code import Lowered
from tcgkit.native.memory import NativeCPU, TLBMirror
from tcgkit.tcg.ir import Op
from tcgkit.tcg.regalloc import allocate
from tcgkit.tcg.region import CodeBuffer
from tcgkit_host_x86.backend import X86Host
from tcgkit_host_x86.features import HostFeatures, detect, is_x86_64
from tcgkit_host_x86.lower import lower

if not is_x86_64():
    pytest.skip("x86-64 host only", allow_module_level=True)

FEATURE_SETS = {
    "all": detect(),
    "none": detect().without("all"),
    **{f"no-{n}": detect().without(n) for n in ("cmov", "bmi1", "bmi2", "lzcnt", "popcnt",
                                                  "movbe", "fma", "sse41")},
}  # fmt: skip


class Runner:
    """Compiles op lists for one feature set and runs them on a state."""

    def __init__(self, features: HostFeatures, buffer_size: int = 2 << 20) -> None:
        self.host = X86Host(features)
        self.buffer = CodeBuffer(buffer_size, buffer_size // 2, executable=True)
        self.region = self.buffer.claim()
        self.rt = self.host.bind_runtime(None)
        self.native: NativeCPU | None = None  # the block of the last run

    def lowered(self, ops: list[Op]) -> Lowered:
        allocation = allocate(ops, self.host.allocator)
        return lower(self.host.feat, allocation, 0, 0, self.rt, self.host.helper_addr)

    def code(self, ops: list[Op]) -> bytes:
        return self.lowered(ops).code

    def run(self, ops: list[Op], state: list[int],
            tlb: tuple[tuple[int, int, int, int], ...] = (),
            l2: tuple[tuple[int, int, int, int], ...] = ()) -> int:  # fmt: skip
        """Run ``ops`` on ``state`` (updated in place); ``tlb`` entries are
        (index, read tag, write tag, addend) of the native TLB, ``l2`` entries the
        same of its second level (``native`` is the block run on, afterwards)."""
        out = self.lowered(ops)
        if self.region.alloc(0) is None or self.region.used + len(out.code) > self.region.size:
            self.buffer.reset()
            self.region = self.buffer.claim()
        addr = self.region.alloc(len(out.code))
        self.region.write(addr, out.code)
        native_state = self.host.new_state(len(state))
        for i, v in enumerate(state):
            native_state[i] = v
        native = self.host._natives[ctypes.addressof(native_state)]
        for index, rtag, wtag, addend in tlb:
            TLBMirror(native).set(index, rtag, wtag, addend)
        for index, rtag, wtag, addend in l2:
            entry = (ctypes.c_uint64 * 3)(rtag, wtag, addend)
            ctypes.memmove(native.l2_addr + index * layout.L2_ENTRY, entry, 24)
        self.native = native
        word = self.host._entry.entry(ctypes.addressof(native_state), addr + out.nocheck)
        state[:] = list(native_state)
        return word & 15

    def close(self) -> None:
        self.host.release()
        self.buffer.release()


@pytest.fixture(scope="module")
def make_runner() -> Iterator[Callable[..., Runner]]:
    """``make_runner(features, buffer_size=2 MiB)``: runners closed with the module."""
    made: list[Runner] = []

    def make(features: HostFeatures, buffer_size: int = 2 << 20) -> Runner:
        made.append(Runner(features, buffer_size))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture(scope="module", params=sorted(FEATURE_SETS))
def runner(request: pytest.FixtureRequest) -> Iterator[Runner]:
    r = Runner(FEATURE_SETS[request.param])
    yield r
    r.close()
