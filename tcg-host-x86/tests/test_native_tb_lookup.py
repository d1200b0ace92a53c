"""Native TB lookups (``tcgkit_host_x86.tb_lookup`` over ``tcgkit.native.tb_mirror``).

The routines themselves, through ctypes with the GIL released: the hash against
the qht policies' own, and lookups (MRU on and off) racing Python writers that
insert, remove and resize; then vCPU threads running a dispatch loop of indirect
branches with each qht policy, jump cache on and off, against the Python
lookup of ``master`` (which offers no mirror): the same results, hook calls,
stops at ``until``, counts and code changes, with the lookups done natively.
"""

from __future__ import annotations

import ctypes
import random
import threading
from typing import Any

import pytest
from tcgkit import HOOK_BLOCK, HOOK_CODE, PROT_ALL, Emulator
from tcgkit.exec.tb_hash import TBKey
from tcgkit.native.backend import NL_HASH, NL_LOOKUP
from tcgkit.native.memory import ExecPage
from tcgkit_host_x86.features import is_x86_64

pytestmark = pytest.mark.skipif(not is_x86_64(), reason="runs x86-64 code")
qht = pytest.importorskip("tcgkit_tbhash_qht")
keystone = pytest.importorskip("keystone")

QHT = ("qht-dyn-nomru", "qht-dyn-mru", "qht-fixed-nomru")
CODE, TABLE = 0x10000, 0x40000
BLOCKS = 16
BLOCK = 6 * 4


# -- the routines, called from Python ------------------------------------------------


class FakeTB:
    """What the mirror needs of a TB: its key, and code and size (None: tier 0)."""

    def __init__(self, key: TBKey, code: int | None) -> None:
        self.key = key
        self.code = code


def engine_of(emu: Emulator) -> Any:
    """The emulator's engine (its internals: the host's mirror, the TB cache)."""
    return emu._engine


def key_of(i: int, flags: int = 0) -> TBKey:
    pc = 0x400000 + 4 * i
    return TBKey(pc, 0, flags, 1 << 11, pc >> 12)


@pytest.fixture(scope="module")
def routines() -> Any:
    from tcgkit_host_x86.backend import X86Host
    from tcgkit_host_x86.tb_lookup import routines as make

    host = X86Host()
    r = make(12, None)
    page = ExecPage(r.code)
    yield (NL_LOOKUP(page.addr + r.lookup), NL_HASH(page.addr + r.hash),
           lambda addr, expected, new: host.cas(addr, expected, new, 3))  # fmt: skip
    page.release()
    host.release()


def words(key: TBKey) -> Any:
    return (ctypes.c_uint64 * 3)(key.pc, key.cs_base, key.flags | key.cflags << 32)


def test_the_routine_hashes_as_the_qht_policies(routines: Any) -> None:
    _lookup, native_hash, _cas = routines
    rng = random.Random(5)
    keys = [key_of(i) for i in range(64)] + [
        TBKey(pc, rng.getrandbits(64), rng.getrandbits(32), rng.getrandbits(32), pc >> 12)
        for pc in (rng.getrandbits(64) for _ in range(500))
    ]
    for key in keys:
        assert native_hash(key.pc, key.cs_base, key.flags | key.cflags << 32) \
            == qht.tb_hash_xx_python(key) == qht.tb_hash_xx(key)  # fmt: skip


@pytest.mark.parametrize("mru", [False, True])
def test_native_lookups_race_python_writers(routines: Any, mru: bool) -> None:
    """Readers in machine code never miss an entry present throughout and never find
    one removed before they began, while Python inserts, removes and resizes."""
    native_lookup, _hash, cas = routines
    policy = (qht.QhtDynMru if mru else qht.QhtDynNoMru)(2)  # tiny: chains and resizes
    mirror = policy.native_table(lambda tb: None if tb.code is None else (tb.code, 4), 12, cas)
    assert mirror is not None and mirror.mru is mru
    stable = [FakeTB(key_of(i), 0x1000 + i) for i in range(40)]
    gone = [FakeTB(key_of(100 + i), 0x2000 + i) for i in range(20)]
    tier0 = [FakeTB(key_of(200 + i), None) for i in range(10)]
    for tb in stable + gone + tier0:
        policy.insert(tb.key, tb)
    for tb in gone:
        assert policy.remove(tb.key, tb)
    header = mirror.header_addr
    stop = threading.Event()
    errors: list[str] = []

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            tb = rng.choice(stable + gone + tier0)
            k = words(tb.key)
            got = native_lookup(header, ctypes.addressof(k), int(mru))
            want = tb.code if tb in stable else 0
            if got != want:
                errors.append(f"{tb.key}: {got:#x}, not {want:#x}")

    def writer() -> None:
        rng = random.Random(9)
        churn: list[FakeTB] = []
        for step in range(3000):
            if churn and rng.random() < 0.45:
                tb = churn.pop(rng.randrange(len(churn)))
                policy.remove(tb.key, tb)
            else:
                tb = FakeTB(key_of(1000 + step), 0x10000 + step)
                policy.insert(tb.key, tb)
                churn.append(tb)
            if step % 500 == 499:
                policy.resize(rng.randrange(1, 6))
        stop.set()

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(3)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    stored = {tb.key: tb for tb in policy}
    mirrored = {(s[1], s[2], s[3]): s[4] for s in mirror}
    assert mirrored == {(k.pc, k.cs_base, k.flags | k.cflags << 32): tb.code
                        for k, tb in stored.items() if tb.code is not None}  # fmt: skip
    policy.reset()
    mirror.reclaim()
    assert list(mirror) == [] and mirror.retired == []
    mirror.release()


# -- vCPUs ------------------------------------------------------------------------------


def program() -> tuple[bytes, int]:
    """BLOCKS blocks, each one TB ending in ``br`` to the next through a table (x20);
    x19 blocks in all, then ``done`` (x21)."""
    lines = ["mov x0, #0"]
    for i in range(BLOCKS):
        lines += [f"b{i}: add x0, x0, #1", f"and x1, x0, #{BLOCKS - 1}", "subs x19, x19, #1",
                  "ldr x2, [x20, x1, lsl #3]", "csel x2, x2, x21, ne", "br x2"]  # fmt: skip
    lines.append("done: nop")
    ks = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)
    code = bytes(ks.asm("\n".join(lines), CODE)[0])
    return code, CODE + len(code) - 4


def emulator(policy: str, jump_cache: bool, vcpus: int = 1) -> tuple[Emulator, int]:
    code, done = program()
    emu = Emulator("aarch64", host="x86_64", tb_hash=policy, jump_cache=jump_cache)
    emu.mem_map(CODE, 0x10000, PROT_ALL)
    emu.mem_map(TABLE, 0x1000, PROT_ALL)
    emu.mem_write(CODE, code)
    emu.mem_write(TABLE, b"".join((CODE + 4 + i * BLOCK).to_bytes(8, "little")
                                  for i in range(BLOCKS)))  # fmt: skip
    for _ in range(vcpus - 1):
        emu.add_cpu()
    for cpu in emu.cpus:
        cpu.reg_write("x20", TABLE)
        cpu.reg_write("x21", done)
    return emu, done


@pytest.mark.parametrize("jump_cache", [True, False])
@pytest.mark.parametrize("policy", QHT)
def test_vcpu_threads_look_up_natively(policy: str, jump_cache: bool) -> None:
    emu, done = emulator(policy, jump_cache, vcpus=2)
    with emu:
        for rounds in range(3):
            for k, cpu in enumerate(emu.cpus):
                cpu.reg_write("x19", 3000 + 77 * k + rounds)
                cpu.start(CODE, done)
            assert emu.wait(60)
            for k, cpu in enumerate(emu.cpus):
                assert cpu.reg_read("x0") == 3000 + 77 * k + rounds
                assert cpu.reg_read("pc") == done
        stats = emu.stats()
        native = stats["lookups"]["native"]
        assert stats["lookups_native"] == native["hits"] > 0
        assert native["probes"] >= native["hits"]  # a hit compares one slot at least
        if not jump_cache:  # every indirect branch but the first ones is looked up natively
            assert native["hits"] > 3 * 2 * 3000 * 0.9
        if policy == "qht-dyn-mru" and not jump_cache:
            assert stats["tb_hash"]["policy"] == policy
        assert engine_of(emu).host.native_table is not None


def test_other_policies_keep_the_python_lookup() -> None:
    emu, done = emulator("master", False)
    with emu:
        emu.reg_write("x19", 500)
        emu.emu_start(CODE, done)
        assert emu.reg_read("x0") == 500
        stats = emu.stats()
        assert stats["lookups_native"] == 0 and stats["lookups"]["native"] == {}
        assert stats["lookups"]["hash_hits"] > 400


def observe(policy: str, jump_cache: bool, **run: Any) -> tuple[Any, ...]:
    """What a run shows: registers, pc, hook calls (block and code), guest icount."""
    emu, done = emulator(policy, jump_cache)
    blocks: list[int] = []
    codes = [0]

    def on_block(emu: Any, address: int, size: int) -> None:
        blocks.append(address)

    def on_code(emu: Any, address: int, size: int) -> None:
        codes[0] += 1
        if run.get("stop_at") == codes[0]:
            emu.emu_stop()

    with emu:
        emu.hook_add(HOOK_BLOCK, on_block)
        if "stop_at" in run:
            emu.hook_add(HOOK_CODE, on_code)
        out = []
        for n in (300, 200):
            emu.reg_write("x19", n)
            emu.emu_start(CODE, run.get("until", done), count=run.get("count", 0))
            out.append((emu.reg_read("x0"), emu.reg_read("x19"), emu.reg_read("pc")))
            if "patch" in run:  # a block's code changes between the runs
                emu.mem_write(CODE + 4 + 5 * BLOCK, run["patch"])
        native = emu.stats()["lookups"]["native"]
    return tuple(out), tuple(blocks), codes[0], native


@pytest.mark.parametrize("jump_cache", [True, False])
@pytest.mark.parametrize("policy", ["qht-dyn-nomru", "qht-dyn-mru"])
@pytest.mark.parametrize("case", ["plain", "until", "count", "stop", "patch"])
def test_native_lookups_change_nothing_a_run_shows(policy: str, jump_cache: bool,
                                                   case: str) -> None:  # fmt: skip
    ks = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)
    runs: dict[str, dict[str, Any]] = {
        "plain": {},
        "until": {"until": CODE + 4 + 7 * BLOCK + 8},  # inside block 7
        "count": {"count": 777},
        "stop": {"stop_at": 1234},
        "patch": {"patch": bytes(ks.asm("add x0, x0, #3")[0])},
    }
    run = runs[case]
    got = observe(policy, jump_cache, **run)
    want = observe("master", jump_cache, **run)
    assert got[:3] == want[:3]
    if case in ("plain", "patch") and not jump_cache:
        assert got[3]["hits"] > 0


def test_an_invalidated_tb_leaves_the_mirror() -> None:
    emu, done = emulator("qht-dyn-nomru", False)
    with emu:
        emu.reg_write("x19", 400)
        emu.emu_start(CODE, done)
        engine = engine_of(emu)
        table = engine.host.native_table
        pc = CODE + 4 + 3 * BLOCK
        tbs = [tb for tb in engine.tb_cache.policy if tb.pc == pc]
        assert tbs and tbs[0].host is not None
        tb = tbs[0]
        h = qht.tb_hash_xx(tb.key)
        assert table.lookup(h, tb.key) == (tb.host.entry, tb.size)
        emu.mem_write(pc, bytes(emu.mem_read(pc, 4)))  # a write to code: its TBs are invalidated
        assert not tb.valid
        assert table.lookup(h, tb.key) is None


def test_the_routine_promotes_under_mru(routines: Any) -> None:
    """One head bucket and an overflow one: a native MRU lookup of an entry past the
    head moves it to the head's first slot (the chain stays dense and whole)."""
    native_lookup, _hash, cas = routines
    policy = qht.QhtDynMru(0)
    mirror = policy.native_table(lambda tb: (tb.code, 4), 12, cas)
    tbs = [FakeTB(key_of(i), 0x3000 + i) for i in range(6)]
    for tb in tbs:
        policy.insert(tb.key, tb)
    order = [s[4] for s in mirror]
    assert len(order) == 6 and mirror.stats()["overflow_buckets"] == 1
    last = order[-1]  # in the overflow bucket
    key = words(next(tb.key for tb in tbs if tb.code == last))
    assert native_lookup(mirror.header_addr, ctypes.addressof(key), 1) == last
    after = [s[4] for s in mirror]
    assert after[0] == last and sorted(after) == sorted(order)
    assert native_lookup(mirror.header_addr, ctypes.addressof(key), 0) == last
    mirror.release()


@pytest.mark.parametrize("policy", ["qht-dyn-nomru", "qht-dyn-mru"])
def test_a_flush_while_vcpus_look_up_natively(policy: str) -> None:
    """tb_flush asked for from another thread while two vCPUs run: it happens when no
    vCPU is in generated code (the mirror reset before the code is freed, its old map
    freed then), and the runs end with the right results."""
    emu, done = emulator(policy, False, vcpus=2)
    with emu:
        for k, cpu in enumerate(emu.cpus):
            cpu.reg_write("x19", 30_000_000 + k)
            cpu.start(CODE, done)
        engine = engine_of(emu)
        # the vCPUs' own counters (``emu.stats()`` during a run would walk the page lists
        # while the vCPUs translate)
        while sum(engine.host.native_lookups(c._cpu).get("hits", 0) for c in emu.cpus) < 10_000:
            pass
        flushes = engine.tb_cache.n_flushes
        engine.tb_flush()  # an exclusive section: every vCPU leaves generated code first
        assert emu.wait(120)
        for k, cpu in enumerate(emu.cpus):
            assert cpu.reg_read("x0") == 30_000_000 + k
        assert engine.tb_cache.n_flushes > flushes
        assert engine.host.native_table.retired == []  # the old map, freed by the flush
        assert emu.stats()["tbs_cached"] == len(list(engine.host.native_table))
