"""The AArch64 target's registers as gdb sees them (the core's gdb stub reads this module).

Owns ``REGISTERS`` (gdb's register numbering for aarch64: gdb name, bit size, the
tcgkit register name ``Emulator.reg_read`` takes, gdb type, feature),
``WATCHPOINTS_STOP_BEFORE_ACCESS`` and ``target_xml`` (the target description gdb asks
for with ``qXfer:features:read``: the features ``org.gnu.gdb.aarch64.core`` and
``org.gnu.gdb.aarch64.fpu`` with the types gdb's own description uses, so ``p $v0``
shows the same unions as under qemu).
"""

from __future__ import annotations

from typing import Final

CORE: Final = "org.gnu.gdb.aarch64.core"
FPU: Final = "org.gnu.gdb.aarch64.fpu"

#: gdb's architecture name for this target (``<architecture>`` of the description)
ARCHITECTURE: Final = "aarch64"

#: a watchpoint stops the guest before the access, the pc at the accessing instruction,
#: as AArch64's watchpoint exceptions do: gdb's aarch64 support expects it (its watchpoints
#: are "non-steppable": gdb steps over the instruction itself), and qemu's stub does so
WATCHPOINTS_STOP_BEFORE_ACCESS: Final = True

#: (gdb name, bits, tcgkit register name, gdb type, feature), in gdb's register order
REGISTERS: Final[tuple[tuple[str, int, str, str, str], ...]] = (
    *((f"x{i}", 64, f"x{i}", "int", CORE) for i in range(31)),
    ("sp", 64, "sp", "data_ptr", CORE),
    ("pc", 64, "pc", "code_ptr", CORE),
    ("cpsr", 32, "nzcv", "int", CORE),
    *((f"v{i}", 128, f"v{i}", "aarch64v", FPU) for i in range(32)),
    ("fpsr", 32, "fpsr", "int", FPU),
    ("fpcr", 32, "fpcr", "int", FPU),
)

_CORE_TYPES: Final = ""  # cpsr is a plain int, as in qemu's description

_FPU_TYPES: Final = """  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v2u" type="uint64" count="2"/>
  <vector id="v2i" type="int64" count="2"/>
  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v4u" type="uint32" count="4"/>
  <vector id="v4i" type="int32" count="4"/>
  <vector id="v8bf16" type="bfloat16" count="8"/>
  <vector id="v8f" type="ieee_half" count="8"/>
  <vector id="v8u" type="uint16" count="8"/>
  <vector id="v8i" type="int16" count="8"/>
  <vector id="v16u" type="uint8" count="16"/>
  <vector id="v16i" type="int8" count="16"/>
  <vector id="v1u" type="uint128" count="1"/>
  <vector id="v1i" type="int128" count="1"/>
  <union id="vnd">
    <field name="f" type="v2d"/>
    <field name="u" type="v2u"/>
    <field name="s" type="v2i"/>
  </union>
  <union id="vns">
    <field name="f" type="v4f"/>
    <field name="u" type="v4u"/>
    <field name="s" type="v4i"/>
  </union>
  <union id="vnh">
    <field name="bf" type="v8bf16"/>
    <field name="f" type="v8f"/>
    <field name="u" type="v8u"/>
    <field name="s" type="v8i"/>
  </union>
  <union id="vnb">
    <field name="u" type="v16u"/>
    <field name="s" type="v16i"/>
  </union>
  <union id="vnq">
    <field name="u" type="v1u"/>
    <field name="s" type="v1i"/>
  </union>
  <union id="aarch64v">
    <field name="d" type="vnd"/>
    <field name="s" type="vns"/>
    <field name="h" type="vnh"/>
    <field name="b" type="vnb"/>
    <field name="q" type="vnq"/>
  </union>
"""


def target_xml() -> str:
    """The whole target description (``target.xml``), one document."""
    parts = [
        '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target>\n',
        f"<architecture>{ARCHITECTURE}</architecture>\n",
    ]
    for feature, types in ((CORE, _CORE_TYPES), (FPU, _FPU_TYPES)):
        parts.append(f'<feature name="{feature}">\n{types}')
        for regnum, (name, bits, _reg, gdb_type, feat) in enumerate(REGISTERS):
            if feat == feature:
                parts.append(f'  <reg name="{name}" bitsize="{bits}" type="{gdb_type}" '
                             f'regnum="{regnum}"/>\n')  # fmt: skip
        parts.append("</feature>\n")
    parts.append("</target>\n")
    return "".join(parts)
