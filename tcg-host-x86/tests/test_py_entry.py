"""The x86-64 host's entry function (``py_entry``): Python calls generated code as a
builtin function object (``tcgkit.native.entry``), not through ctypes. Random
64-bit states and code addresses reach the "prologue" unchanged and its 64-bit
answer comes back; the GIL is released while generated code runs (another Python
thread runs meanwhile); a call with other than two ints raises, and nothing runs;
no reference is leaked; the code decodes whole under capstone; entries made and
released in a loop keep the mapping count flat; and the host uses it for every
passage of an emulator."""

from __future__ import annotations

import ctypes
import sys
import threading
import time

import capstone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit import Emulator
from tcgkit.native.callbacks import c_api
from tcgkit.native.entry import NativeEntry
from tcgkit_host_x86.backend import X86Host
from tcgkit_host_x86.encoder import ADD, CC_E, CC_NE, CMP, RAX, RCX, RDI, RSI, SUB, Asm, Label, Mem
from tcgkit_host_x86.py_entry import entry_function

M64 = (1 << 64) - 1


def make(code: bytes) -> NativeEntry:
    return NativeEntry(code, X86Host.entry_function)


def lea3_add() -> bytes:
    """A stand-in prologue: rax <- 3 * state + code."""
    a = Asm()
    a.lea(RAX, Mem(RDI, 0, RDI, 2))
    a.alu_rr(ADD, RAX, RSI)
    a.ret()
    return a.code()


@pytest.fixture(scope="module")
def entry() -> NativeEntry:
    e = make(lea3_add())
    yield e
    e.release()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, M64), st.integers(0, M64))
def test_the_two_words_go_in_and_the_answer_comes_out(entry: NativeEntry, a: int, b: int) -> None:
    assert entry.native
    assert entry.entry(a, b) == (3 * a + b) & M64


def test_generated_code_runs_with_the_gil_released() -> None:
    # the stand-in spins until the word at ``state`` is set, at most ``code`` rounds,
    # and answers the rounds left: only another Python thread sets it
    a = Asm()
    loop, done = Label(), Label()
    a.mov_rr(RCX, RSI)
    a.bind(loop)
    a.alu_mi(CMP, Mem(RDI, 0), 0)
    a.jcc(CC_NE, done)
    a.alu_ri(SUB, RCX, 1)
    a.jcc(CC_E, done)
    a.jmp(loop)
    a.bind(done)
    a.mov_rr(RAX, RCX)
    a.ret()
    e = make(a.code())
    word = ctypes.c_uint64(0)

    def setter() -> None:
        time.sleep(0.05)
        word.value = 1  # needs the GIL

    t = threading.Thread(target=setter)
    t.start()
    left = e.entry(ctypes.addressof(word), 1 << 40)  # far more rounds than 0.05 s takes
    t.join()
    assert word.value == 1 and left > 0
    e.release()


@pytest.mark.parametrize(
    ("args", "error"),
    [((), TypeError), ((1,), TypeError), ((1, 2, 3), TypeError), ((-1, 2), OverflowError),
     ((1 << 64, 2), OverflowError), (("a", 2), TypeError), ((1, None), TypeError)],
)  # fmt: skip
def test_bad_arguments_raise_and_run_nothing(entry: NativeEntry, args: tuple, error: type) -> None:
    with pytest.raises(error):
        entry.entry(*args)


def test_no_reference_is_kept(entry: NativeEntry) -> None:
    a, b = 10**18, 7
    before = sys.getrefcount(a), sys.getrefcount(b)
    results = [entry.entry(a, b) for _ in range(100)]
    assert (sys.getrefcount(a), sys.getrefcount(b)) == before
    r = results[-1]
    assert sys.getrefcount(r) == 3  # the list, r, the argument: a new int each call


def test_code_decodes_whole() -> None:
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    code = entry_function(c_api(), 0x1234_5678)
    insns = list(md.disasm(code, 0))
    assert sum(i.size for i in insns) == len(code)
    mnemonics = [i.mnemonic for i in insns]
    # self, state, code: one conversion and one error test each; the GIL out and
    # in; the target; the result; the TypeError
    assert mnemonics.count("call") == 3 * 2 + 2 + 1 + 1 + 1
    assert mnemonics[-1] == "ret"


def test_entries_made_and_released_keep_the_mappings_flat() -> None:
    def mappings() -> int:
        with open("/proc/self/maps") as f:
            return sum(1 for _ in f)

    make(lea3_add()).release()  # the shared entry function's page, made once
    start = mappings()
    for i in range(20):
        e = make(lea3_add())
        assert e.entry(i, 1) == 3 * i + 1
        e.release()
    assert mappings() <= start


def test_an_emulator_enters_generated_code_through_it() -> None:
    with Emulator("aarch64", host="x86_64", tier_up=0) as emu:
        assert emu.engine.host._entry.native
        code = bytes.fromhex("000080d2000400911f2803f1c1ffff54")  # count to 202
        emu.mem_map(0x10000, 0x1000)
        emu.mem_write(0x10000, code)
        emu.emu_start(0x10000, 0x10000 + len(code))
        assert emu.reg_read("x0") == 202
