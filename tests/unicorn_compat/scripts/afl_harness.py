"""An AFL-style fuzzing harness as people write them on Unicorn: a parser under
test, a block hook that records edge coverage in a 64 KiB bitmap (AFL's
``prev_loc >> 1 XOR cur_loc`` hashing), an invalid-memory hook that turns a wild
access into a crash, a counted and timed run per input from a saved context, and
a mutation loop that keeps the inputs that find new edges. The corpus it grows,
the crashes it finds and the bitmap's content must be the same on both engines."""

import random

from uc_common import CODE, DATA, mk
from unicorn import *
from unicorn.arm64_const import *

# a tiny TLV parser: magic "TLV1", then records (type, length, bytes); type 7
# with a length over 16 copies out of bounds (a bug the fuzzer should find)
SRC = """
    ldr w6, [x5]
    movz w7, #0x4c54
    movk w7, #0x3156, lsl #16
    cmp w6, w7
    b.ne reject
    add x8, x5, #4
    mov x9, #0
next:
    cmp x9, #8
    b.ge accept
    ldrb w10, [x8]
    ldrb w11, [x8, #1]
    cbz w10, accept
    cmp w10, #7
    b.ne other
    cmp w11, #16
    b.ls other
    lsl x12, x11, #20
    ldr x13, [x8, x12]
other:
    cmp w10, #3
    b.ne skip
    add x14, x14, x11
skip:
    add x8, x8, x11
    add x8, x8, #2
    add x9, x9, #1
    b next
reject:
    mov x0, #1
    b done
accept:
    mov x0, #0
done:
    nop
"""

MAP_SIZE = 1 << 16
uc, end = mk(SRC, data=False)
uc.mem_map(DATA, 0x1000)
uc.reg_write(UC_ARM64_REG_X5, DATA)
bitmap = bytearray(MAP_SIZE)
prev = [0]


def block(uc, address, size, data):
    cur = ((address >> 4) ^ (address << 8)) & (MAP_SIZE - 1)
    i = cur ^ prev[0]
    bitmap[i] = (bitmap[i] + 1) & 0xFF
    prev[0] = cur >> 1


def wild(uc, access, address, size, value, data):
    return False  # not mapped: the run ends with UC_ERR_READ_UNMAPPED, a crash


uc.hook_add(UC_HOOK_BLOCK, block)
uc.hook_add(UC_HOOK_MEM_UNMAPPED, wild)
start = uc.context_save()


def execute(data):
    bitmap[:] = bytes(MAP_SIZE)
    prev[0] = 0
    uc.context_restore(start)
    uc.mem_write(DATA, data.ljust(64, b"\0")[:64])
    try:
        uc.emu_start(CODE, end - 4, timeout=2000000, count=10000)
        return "ok %d" % uc.reg_read(UC_ARM64_REG_X0)
    except UcError as e:
        return "crash %d" % e.errno


rng = random.Random(7)
corpus = [b"TLV1\x03\x02ab\x00"]
seen = set()
crashes = []
crash_paths = set()
for n in range(1500):
    data = bytearray(rng.choice(corpus))
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        at = rng.randrange(4 if rng.random() < 0.9 else 0, len(data) + 1)
        if op == 0 and at < len(data):
            data[at] = rng.randrange(256)
        elif op == 1 and len(data) < 60:
            data.insert(at, rng.choice((3, 7, 17, 200, 0)))
        elif op == 2 and len(data) < 56:  # a token from the dictionary
            data[at:at] = rng.choice((b"\x03\x01x", b"\x07\x02ab", b"\x07\x30", b"\x00"))
        elif at < len(data):
            del data[at]
    outcome = execute(bytes(data))
    edges = frozenset(i for i, v in enumerate(bitmap) if v)
    if outcome.startswith("crash"):
        if edges not in crash_paths:  # a unique crash: its path is new
            crash_paths.add(edges)
            crashes.append(bytes(data))
            print("crash at", n, bytes(data)[:12].hex(), outcome, len(edges), "edges")
    elif not edges <= seen:
        seen |= edges
        corpus.append(bytes(data))
        print("new path at", n, len(edges), "edges", outcome)
print("corpus", len(corpus), "edges", len(seen), "crashes", len(crashes))
print("bitmap of the first input:", execute(corpus[0]), sum(bitmap), len([v for v in bitmap if v]))
