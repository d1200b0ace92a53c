"""Random A64 code on the x86_64 host: it never crashes the process, every
failure is a documented tcgkit exception, and where the python host is
installed both hosts end in exactly the same state (registers, memory, or the
same exception at the same pc)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit import PROT_ALL, EmulationError, Emulator
from tcgkit.plugins import HOST, get_plugin_manager

CODE, DATA = 0x10000, 0x80000
# the top bytes of common A64 encodings (data processing, loads and stores,
# branches, FP and AdvSIMD), so that random words are mostly decodable
TOPS = [0x91, 0xD1, 0xF1, 0xB1, 0x8B, 0xCB, 0xEB, 0xAA, 0x8A, 0xCA, 0x9A, 0xDA, 0x93, 0xD3,
        0xF9, 0xB9, 0x39, 0x79, 0xF8, 0xB8, 0x38, 0xA9, 0x29, 0x54, 0x34, 0xB4, 0x36, 0x14,
        0x1E, 0x5E, 0x4E, 0x0E, 0x6E, 0x2E, 0x9B, 0x1B, 0x3D, 0xFD, 0xBD, 0x53, 0x13, 0x72,
        0xD2, 0x52, 0xF2, 0x92, 0x12, 0xDA, 0x5A, 0x7A, 0x3A]  # fmt: skip
# register values: mostly addresses inside DATA (so that loads and stores run), some edges
VALUES = [DATA + 0x100, DATA + 0x800, DATA + 0x4000, DATA + 0x7FF0, 0, 1, 12345,
          0xFFFFFFFFFFFFFFFF, 0x8000000000000000, DATA + 0xFFF8]  # fmt: skip
HOSTS = [i.name for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]

words = st.one_of(
    st.builds(lambda top, low: top << 24 | low, st.sampled_from(TOPS), st.integers(0, 1 << 24)),
    st.integers(0, (1 << 32) - 1),
)


def run(host: str, code: bytes, regs: list[int], tier_up: int = 0) -> tuple:
    with Emulator("aarch64", host=host, tier_up=tier_up) as emu:
        emu.mem_map(CODE, 0x1000, PROT_ALL)
        emu.mem_map(DATA, 0x10000, PROT_ALL)
        emu.mem_write(CODE, code)
        for i, v in enumerate(regs):
            emu.reg_write(f"x{i}", v)
        emu.reg_write("sp", DATA + 0x8000)
        try:
            emu.emu_start(CODE, CODE + len(code), count=200)
            outcome: tuple = ("ok",)
        except EmulationError as e:
            outcome = (type(e).__name__, getattr(e, "pc", None))
        state = tuple(emu.reg_read(f"x{i}") for i in range(31))
        return outcome, emu.reg_read("pc"), emu.reg_read("nzcv"), state, \
            bytes(emu.mem_read(DATA, 0x10000))  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=st.lists(words, min_size=1, max_size=12),
       regs=st.lists(st.sampled_from(VALUES), min_size=31, max_size=31))  # fmt: skip
def test_random_code_is_safe_and_agrees_across_hosts(code: list[int], regs: list[int]) -> None:
    blob = b"".join(w.to_bytes(4, "little") for w in code)
    native = run("x86_64", blob, regs)
    assert native[0][0] == "ok" or native[0][0].endswith("Error")
    if "python" in HOSTS:
        assert native == run("python", blob, regs)
    assert native == run("x86_64", blob, regs, tier_up=1 << 30)  # interpreted (tier 0)
