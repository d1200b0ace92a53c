"""Helpers the corpus scripts share (they run under Unicorn and under tcgkit.unicorn).

``asm`` assembles A64 with keystone; ``run`` starts emulation and prints how it
ended (``ok`` or the error's class, errno and text) with the pc; ``mk`` makes a
``Uc`` with code mapped at CODE and a data page at DATA.
"""

import keystone
from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, Uc, UcError
from unicorn.arm64_const import UC_ARM64_REG_PC

CODE = 0x10000
DATA = 0x80000
_ks = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)


def asm(src, addr=CODE):
    return bytes(_ks.asm(src, addr)[0])


def mk(src=None, data=True, code=None):
    """A Uc with ``src`` (or ``code`` bytes) at CODE; returns (uc, end of the code)."""
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.mem_map(CODE, 0x10000)
    if data:
        uc.mem_map(DATA, 0x1000)
    code = asm(src) if src is not None else (code or b"")
    uc.mem_write(CODE, code)
    return uc, CODE + len(code)


def run(label, uc, begin, until, **kw):
    try:
        uc.emu_start(begin, until, **kw)
        print(label, "ok", "pc=%#x" % uc.reg_read(UC_ARM64_REG_PC))
    except UcError as e:
        print(label, "UcError", e.errno, e, "pc=%#x" % uc.reg_read(UC_ARM64_REG_PC))
    except Exception as e:
        print(label, type(e).__name__, e, "pc=%#x" % uc.reg_read(UC_ARM64_REG_PC))


def attempt(label, fn):
    """Print what ``fn()`` returns (ints in hex) or the error it raises."""
    try:
        r = fn()
        print(label, "->", hex(r) if isinstance(r, int) and not isinstance(r, bool) else r)
    except UcError as e:
        print(label, "UcError", e.errno, e, e.args)
    except Exception as e:
        print(label, type(e).__name__, e)
