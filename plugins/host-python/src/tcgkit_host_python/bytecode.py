"""The python host's instruction encoder: CPython 3.11 bytecode, assembled directly.

Owns ``Assembler``: instructions appended one at a time (each with its inline
cache entries and, for arguments above 255, its EXTENDED_ARG prefixes), labels
with forward and backward jumps, the tables a code object indexes (constants,
local variables), the maximum stack depth, and the line table that maps each
instruction to a line number (the lowering makes it the guest instruction's
index). ``code()`` builds the ``types.CodeType``. The python host's machine is
CPython's virtual machine, as x86-64 is the x86 host's: this module is to it what
``tcgkit_host_x86.encoder`` is to the x86 host, and ``lower`` chooses the
instructions.

Why not Python source and ``compile()``: parsing and compiling a TB's source cost
~35 µs per guest instruction, several times the rest of translation together.

``SUPPORTED`` says whether this interpreter runs 3.11 bytecode (the opcode numbers,
cache sizes, jump forms and line table format are 3.11's; the numbers are literals
here, compared with its ``opcode`` and ``dis`` tables at import); elsewhere the host
generates source (``codegen``).

Invariants (what CPython trusts bytecode for, and this module guarantees):

* every instruction is followed by exactly ``opcode._inline_cache_entries`` zeroed
  CACHE units, and an argument above 255 is carried by EXTENDED_ARG prefixes;
* a jump is always two units (EXTENDED_ARG, then the jump), so that offsets are
  known when a label is placed; a TB whose jumps do not fit 16 bits is refused
  (``TooLarge``) and translated again with fewer instructions;
* ``co_stacksize`` is at least the deepest the stack gets: the depth is tracked
  per instruction along the emission order, which the lowering keeps equal to
  the depth on every path (a statement starts with an empty stack, and each
  branch of a conditional ends its statement itself);
* the code ends with a return: execution cannot run past its last unit.
"""

from __future__ import annotations

import dis
import opcode
import sys
import types
from typing import Any, Final

from librt.strings import BytesWriter
from tcgkit._mypyc import i64, u8
from tcgkit.host import TBTooLarge

SUPPORTED: Final = sys.version_info[:2] == (3, 11)

# 3.11's opcode numbers as literals (compiled code then holds them as C constants, where
# a name read from ``opcode`` is a module global); ``_check_opcodes`` compares them with
# this interpreter's tables at import
RESUME: Final = 151
EXTENDED_ARG: Final = 144
LOAD_CONST: Final = 100
LOAD_FAST: Final = 124
STORE_FAST: Final = 125
BINARY_OP: Final = 122
COMPARE_OP: Final = 107
BINARY_SUBSCR: Final = 25
STORE_SUBSCR: Final = 60
PRECALL: Final = 166
CALL: Final = 171
RETURN_VALUE: Final = 83
LOAD_ATTR: Final = 106
PUSH_NULL: Final = 2
POP_TOP: Final = 1
UNARY_NEGATIVE: Final = 11
UNPACK_SEQUENCE: Final = 92
JUMP_FORWARD: Final = 110
JUMP_BACKWARD: Final = 140
POP_JUMP_FORWARD_IF_TRUE: Final = 115
POP_JUMP_FORWARD_IF_FALSE: Final = 114
POP_JUMP_BACKWARD_IF_TRUE: Final = 176
POP_JUMP_BACKWARD_IF_FALSE: Final = 175
#: the instructions above with inline cache entries, and how many (two bytes each)
_CACHE_UNITS: Final = {BINARY_OP: 1, COMPARE_OP: 2, BINARY_SUBSCR: 4, STORE_SUBSCR: 1,
                       PRECALL: 1, CALL: 4, LOAD_ATTR: 4, UNPACK_SEQUENCE: 1}  # fmt: skip
#: the count of cache units of every opcode, by opcode (a bytes: read natively)
_CACHES: Final = bytes(_CACHE_UNITS.get(op, 0) for op in range(256))
#: an instruction's zeroed inline cache entries, by their count
_ZERO_UNITS: Final = tuple(bytes(2 * n) for n in range(max(_CACHES) + 1))
#: an argument byte 0 and four cache units (what follows BINARY_SUBSCR's opcode)
_ARG0_CACHE4: Final = bytes(1 + 2 * 4)


def _check_opcodes() -> None:
    """Refuse an interpreter whose 3.11 tables differ from the literals here."""
    cache_of = list(getattr(opcode, "_inline_cache_entries", []))
    for name, value in (
        ("RESUME", RESUME), ("EXTENDED_ARG", EXTENDED_ARG), ("LOAD_CONST", LOAD_CONST),
        ("LOAD_FAST", LOAD_FAST), ("STORE_FAST", STORE_FAST), ("BINARY_OP", BINARY_OP),
        ("COMPARE_OP", COMPARE_OP), ("BINARY_SUBSCR", BINARY_SUBSCR),
        ("STORE_SUBSCR", STORE_SUBSCR), ("PRECALL", PRECALL), ("CALL", CALL),
        ("RETURN_VALUE", RETURN_VALUE), ("LOAD_ATTR", LOAD_ATTR), ("PUSH_NULL", PUSH_NULL),
        ("POP_TOP", POP_TOP), ("UNARY_NEGATIVE", UNARY_NEGATIVE),
        ("UNPACK_SEQUENCE", UNPACK_SEQUENCE), ("JUMP_FORWARD", JUMP_FORWARD),
        ("JUMP_BACKWARD", JUMP_BACKWARD), ("POP_JUMP_FORWARD_IF_TRUE", POP_JUMP_FORWARD_IF_TRUE),
        ("POP_JUMP_FORWARD_IF_FALSE", POP_JUMP_FORWARD_IF_FALSE),
        ("POP_JUMP_BACKWARD_IF_TRUE", POP_JUMP_BACKWARD_IF_TRUE),
        ("POP_JUMP_BACKWARD_IF_FALSE", POP_JUMP_BACKWARD_IF_FALSE),
    ):  # fmt: skip
        if opcode.opmap.get(name) != value or cache_of[value] != _CACHES[value]:
            raise ImportError(f"this CPython numbers {name} differently from 3.11.0")
    nb = {sym: i for i, (_, sym) in enumerate(getattr(dis, "_nb_ops", []))}
    for sym, value in (("+", NB_ADD), ("&", NB_AND), ("//", NB_FLOORDIV), ("<<", NB_LSHIFT),
                       ("*", NB_MUL), ("%", NB_MOD), ("|", NB_OR), (">>", NB_RSHIFT),
                       ("-", NB_SUB), ("^", NB_XOR)):  # fmt: skip
        if nb.get(sym) != value:
            raise ImportError(f"this CPython numbers BINARY_OP {sym} differently from 3.11.0")
    for value, sym in enumerate(("<", "<=", "==", "!=", ">", ">=")):
        if dis.cmp_op[value] != sym:
            raise ImportError(f"this CPython numbers COMPARE_OP {sym} differently from 3.11.0")


# BINARY_OP arguments and COMPARE_OP arguments in 3.11's numbering (``_check_opcodes``
# compares them with ``dis``)
NB_ADD: Final = 0
NB_AND: Final = 1
NB_FLOORDIV: Final = 2
NB_LSHIFT: Final = 3
NB_MUL: Final = 5
NB_MOD: Final = 6
NB_OR: Final = 7
NB_RSHIFT: Final = 9
NB_SUB: Final = 10
NB_XOR: Final = 12
CMP_LT: Final = 0
CMP_LE: Final = 1
CMP_EQ: Final = 2
CMP_NE: Final = 3
CMP_GT: Final = 4
CMP_GE: Final = 5

if SUPPORTED:
    _check_opcodes()

CO_OPTIMIZED: Final = 0x1
CO_NEWLOCALS: Final = 0x2

# a line table entry of kind 13 (a line delta, no column information); + its length - 1
_ENTRY: Final = 0x80 | 13 << 3
_FULL_ENTRY: Final = bytes((_ENTRY + 7, 0))  # 8 more units on the same line
_PARTIAL_ENTRY: Final = [b""] + [bytes((_ENTRY + n - 1, 0)) for n in range(1, 8)]  # n more


class TooLarge(TBTooLarge):
    """A jump of the TB does not fit the fixed two-unit form (the core translates
    the TB again with half as many instructions)."""


class Label:
    """A position in the code: bound once; jumps to it before then are patched."""

    __slots__ = ("at", "pending")

    def __init__(self) -> None:
        self.at: i64 = -1  # unit index once placed
        self.pending: list[tuple[int, int]] = []  # (unit index of the jump, its opcode pair)


class Assembler:
    """One code object's bytecode (see the module docstring). Local variables are
    numbered: the arguments, then the names ``fixed`` gives, then one per temp
    (``temp``). Numbers are ``i64``: native integers in the compiled build."""

    def __init__(self, argnames: tuple[str, ...], fixed: tuple[str, ...] = (),
                 temp_names: list[str] | None = None) -> None:  # fmt: skip
        # the code units as CPython reads them, opcode byte then argument byte, in a
        # librt BytesWriter (mypyc compiles its append and item assignment to inline C:
        # a list of 16-bit units boxed each unit above 255 and was packed once more)
        self.code = BytesWriter()
        self.consts: list[Any] = []
        self._small: list[int] = [-1] * 256  # the index of each int constant in 0..255
        self._int_at: dict[int, int] = {}  # an int constant -> its index
        self._obj_at: dict[int, int] = {}  # id of any other constant -> its index
        self.names: list[str] = []  # attribute names (LOAD_ATTR)
        self.varnames: list[str] = [*argnames, *fixed]
        self._temp_at: list[int] = [-1] * 64  # a temp's index -> its local variable (-1: none)
        # the name of temp k's local variable, "t<k>": interned once, and shared by the
        # assemblers of one host (a code object interns its names: nothing to do for a
        # string already interned), extended as temps are numbered higher
        self._temp_names: list[str] = [] if temp_names is None else temp_names
        self.argcount: i64 = len(argnames)
        self.depth: i64 = 0
        self.max_depth: i64 = 0
        self.line: i64 = 1
        self._lines: list[tuple[int, int]] = []  # (first unit, line) where the line changes
        self.op(RESUME, 0, 0)

    # -- tables ------------------------------------------------------------------------

    def int_index(self, v: int) -> i64:
        """The index of the int constant ``v`` (a plain int: the lowering converts an
        int enum's members, whose operators would give enum members at run time)."""
        if v < 256 and v >= 0:  # (a value above 2**62 is a boxed int: one comparison)
            small = self._small
            i: i64 = small[v]
            if i < 0:
                i = len(self.consts)
                small[v] = i
                self.consts.append(v)
            return i
        at = self._int_at
        found = at.get(v)
        if found is not None:
            return found
        i = len(self.consts)
        at[v] = i
        self.consts.append(v)
        return i

    def const_index(self, value: Any) -> i64:
        if isinstance(value, int):
            return self.int_index(int(value))
        at = self._obj_at
        found = at.get(id(value))
        if found is not None:
            return found
        i: i64 = len(self.consts)
        at[id(value)] = i
        self.consts.append(value)
        return i

    def temp(self, index: i64) -> i64:
        """The local variable of the temp numbered ``index``."""
        at = self._temp_at  # a list by index (temps are numbered densely): no hashing
        if index >= len(at):
            at.extend([-1] * (index + 64 - len(at)))
        i: i64 = at[index]
        if i < 0:
            names = self.varnames
            i = len(names)
            at[index] = i
            known = self._temp_names
            if index >= len(known):
                known.extend([sys.intern(f"t{k}") for k in range(len(known), index + 256)])
            names.append(known[index])
        return i

    def name_index(self, name: str) -> i64:
        names = self.names
        for i in range(len(names)):
            if names[i] == name:
                return i
        names.append(name)
        return len(names) - 1

    # -- instructions ------------------------------------------------------------------

    def set_line(self, line: i64) -> None:
        """The line the instructions from here on map to."""
        if line != self.line:
            self.line = line
            self._lines.append((len(self.code) >> 1, line))

    def op(self, opc: i64, arg: i64, effect: i64) -> None:
        """Append one instruction (its stack effect ``effect``), its EXTENDED_ARG
        prefixes and its caches."""
        code = self.code
        if arg > 0xFF:
            if arg > 0xFFFF:
                if arg > 0xFFFFFF:
                    code.append(EXTENDED_ARG)
                    code.append(u8(arg >> 24 & 0xFF))
                code.append(EXTENDED_ARG)
                code.append(u8(arg >> 16 & 0xFF))
            code.append(EXTENDED_ARG)
            code.append(u8(arg >> 8 & 0xFF))
        code.append(u8(opc))
        code.append(u8(arg & 0xFF))
        n = _CACHES[opc]
        if n:
            code.write(_ZERO_UNITS[n])
        depth = self.depth + effect
        self.depth = depth
        if depth > self.max_depth:
            self.max_depth = depth

    # the frequent instructions, written without the general case's tests (an argument
    # above 255 takes ``op``)

    def load_const(self, value: Any) -> None:
        self.op(LOAD_CONST, self.const_index(value), 1)

    def load_int(self, value: int) -> None:
        self.load_index(self.int_index(value))

    def load_index(self, i: i64) -> None:
        """LOAD_CONST of the constant at index ``i``."""
        self._unit(LOAD_CONST, i, 1)

    def load_fast(self, var: i64) -> None:
        self._unit(LOAD_FAST, var, 1)

    def store_fast(self, var: i64) -> None:
        self._unit(STORE_FAST, var, -1)

    def _unit(self, opc: i64, arg: i64, effect: i64) -> None:
        """An instruction without inline caches: ``op`` without its tests when the
        argument fits a byte."""
        if arg > 0xFF:
            self.op(opc, arg, effect)
            return
        code = self.code
        code.append(u8(opc))
        code.append(u8(arg))
        depth = self.depth + effect
        self.depth = depth
        if depth > self.max_depth:
            self.max_depth = depth

    def binary(self, nb: i64) -> None:
        """BINARY_OP ``nb`` (an ``NB_*`` value)."""
        code = self.code
        code.append(BINARY_OP)
        code.append(u8(nb))
        code.append(0)  # its cache unit
        code.append(0)
        self.depth -= 1

    def compare(self, cmp: i64) -> None:
        """COMPARE_OP ``cmp`` (a ``CMP_*`` value)."""
        self.op(COMPARE_OP, cmp, -1)

    def subscr(self) -> None:
        self.code.append(BINARY_SUBSCR)
        self.code.write(_ARG0_CACHE4)
        self.depth -= 1

    def store_subscr(self) -> None:
        self.op(STORE_SUBSCR, 0, -3)

    def call(self, nargs: i64) -> None:
        """Call what is under ``nargs`` arguments (pushed after a NULL): PRECALL, CALL."""
        self.op(PRECALL, nargs, -nargs)
        self.op(CALL, nargs, -1)

    def load_attr(self, name: str) -> None:
        self.op(LOAD_ATTR, self.name_index(name), 0)

    def push_null(self) -> None:
        self._unit(PUSH_NULL, 0, 1)

    def pop(self) -> None:
        self.op(POP_TOP, 0, -1)

    def unary(self, opc: i64) -> None:
        self.op(opc, 0, 0)

    def ret(self) -> None:
        self.op(RETURN_VALUE, 0, -1)

    # -- labels and jumps ------------------------------------------------------------

    def place(self, label: Label) -> None:
        """Bind ``label`` here, patching the jumps already made to it."""
        code = self.code
        at: i64 = len(code) >> 1
        label.at = at
        pending = label.pending
        for k in range(len(pending)):
            unit, fwd = pending[k]
            delta: int = at - (unit + 2)  # relative to the unit after the jump
            if delta > 0xFFFF:
                raise TooLarge(f"a forward jump of {delta} units")
            b = unit << 1
            code[b] = EXTENDED_ARG
            code[b + 1] = delta >> 8
            code[b + 2] = fwd
            code[b + 3] = delta & 0xFF
        pending.clear()

    def jump(self, label: Label, cond: bool | None = None) -> None:
        """Jump to ``label``: always (``cond`` None), or popping the top of the stack
        when it is true / false (``cond``)."""
        if cond is None:
            self._jump(label, JUMP_FORWARD, JUMP_BACKWARD, 0)
        elif cond:
            self._jump(label, POP_JUMP_FORWARD_IF_TRUE, POP_JUMP_BACKWARD_IF_TRUE, -1)
        else:
            self._jump(label, POP_JUMP_FORWARD_IF_FALSE, POP_JUMP_BACKWARD_IF_FALSE, -1)

    def _jump(self, label: Label, fwd: i64, back: i64, effect: i64) -> None:
        code = self.code
        unit: i64 = len(code) >> 1
        if label.at >= 0:
            delta = unit + 2 - label.at
            if delta > 0xFFFF:
                raise TooLarge(f"a backward jump of {delta} units")
            code.append(EXTENDED_ARG)
            code.append(u8(delta >> 8))
            code.append(u8(back))
            code.append(u8(delta & 0xFF))
        else:
            label.pending.append((unit, fwd))
            code.append(EXTENDED_ARG)  # the offset's two bytes: ``place`` writes them
            code.append(0)
            code.append(u8(fwd))
            code.append(0)
        self.depth += effect

    # -- the code object ---------------------------------------------------------------

    def _linetable(self) -> bytes:
        out = BytesWriter()
        marks = self._lines
        prev_line: i64 = 1  # co_firstlineno
        start: i64 = 0
        line: i64 = 1
        units: i64 = len(self.code) >> 1
        end: i64
        for k in range(len(marks) + 1):
            if k < len(marks):
                end, next_line = marks[k]
            else:
                end, next_line = units, 0
            n = end - start
            if n > 0:  # entries of at most 8 units; the first one moves the line
                first = 8 if n > 8 else n
                delta = line - prev_line
                prev_line = line
                v = delta << 1 if delta >= 0 else (-delta) << 1 | 1
                out.append(u8(_ENTRY + first - 1))
                while v >= 0x40:
                    out.append(u8(0x40 | (v & 0x3F)))
                    v >>= 6
                out.append(u8(v))
                rest = n - first
                if rest >= 8:
                    out.write(_FULL_ENTRY * (rest >> 3))
                if rest & 7:
                    out.write(_PARTIAL_ENTRY[rest & 7])
            start, line = end, next_line
        return out.getvalue()

    def bytecode(self) -> bytes:
        """The code units as CPython reads them (opcode byte, then argument byte)."""
        return self.code.getvalue()

    def code_object(self, name: str, filename: str) -> types.CodeType:
        return types.CodeType(
            self.argcount, 0, 0, len(self.varnames), max(self.max_depth, 1),
            CO_OPTIMIZED | CO_NEWLOCALS, self.bytecode(), tuple(self.consts), tuple(self.names),
            tuple(self.varnames), filename, name, name, 1, self._linetable(), b"",
        )  # fmt: skip
