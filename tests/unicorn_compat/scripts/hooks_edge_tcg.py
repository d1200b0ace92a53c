"""UC_HOOK_EDGE_GENERATED (each block just translated, ranges on the new block)
and UC_HOOK_TCG_OPCODE on subtractions (SUB, SUBS, CMP, NEG, CCMP, CCMN, MSUB,
MNEG in their 32- and 64-bit forms, by operands and width; the address is not
printed and ranges are not used: Unicorn 2.1's AArch64 passes 0 as the address and
checks ranges against 0, tcgkit uses the instruction's address)."""

from uc_common import CODE, mk, run
from unicorn import *
from unicorn.arm64_const import *

SRC = """
    mov x0, #6
    mov x1, #3
    movn x5, #0
loop:
    cmp x0, x1
    b.lt small
    sub x2, x0, x1
    bl helper
    b next
small:
    subs x3, x0, #1
    sub w4, w0, w1
next:
    cmp w0, #2
    sub w6, w5, w1
    sub w6, w5, #7
    sub x6, x5, #0
    neg x7, x1
    ccmp x0, #3, #4, ne
    ccmn w5, w1, #4, eq
    msub x8, x0, x1, x5
    mneg w8, w0, w1
    sub x9, x5, w1, uxtw #2
    subs w9, w5, w1, sxtb
    sub x0, x0, #1
    cbnz x0, loop
    b done
helper:
    sub x10, x10, x2
    ret
done:
    nop
"""


def edge(uc, cur, prev, ud):
    # the new block; ``prev`` differs (README: Unicorn's is the block its loop last
    # looked up, kept from one run to the next)
    print("  edge", ud, "-> %#x+%d/%d" % (cur.pc, cur.icount, cur.size))


def sub(uc, address, a, b, size, ud):
    print("  sub", ud, hex(a), hex(b), size)


uc, end = mk(SRC)
h = uc.hook_add(UC_HOOK_EDGE_GENERATED, edge, "all")
run("edges, first run", uc, CODE, end - 4)

uc, end = mk(SRC)
uc.hook_add(UC_HOOK_EDGE_GENERATED, edge, "range", CODE + 0x10, CODE + 0x30)
run("edges into a range", uc, CODE, end - 4)

uc, end = mk(SRC)
h = uc.hook_add(UC_HOOK_TCG_OPCODE, sub, "all", 1, 0, UC_TCG_OP_SUB, 0)
run("subtractions", uc, CODE, end - 4)
print("x10 =", hex(uc.reg_read(UC_ARM64_REG_X10)))
uc.hook_del(h)
run("no subtraction hook", uc, CODE, end - 4)
