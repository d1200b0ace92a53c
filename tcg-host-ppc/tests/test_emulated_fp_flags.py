"""The float flags kept in FPSCR (``tcgkit_host_ppc.fpscr``) on a ppc64le machine: a
ppc64el Debian Python (``scripts/debian-sysroot ppc64el``) under qemu-ppc64le-static
runs ``native_fp_flags.py``: random float IR programs (edge operands) executed
natively leave in the FPSCR image, with what the py_ops computed in Python, exactly
the reference interpreter's flags word; the caller's FPSCR is cleared for generated
code and restored at the exit; Python's own flags during a call (py_op, a helper,
the memory slow path) are dropped by the reload after it; one directed op per flag
and per pitfall of Power against the IR's (Arm's) flags. And ``native_a64_fpsr.py``:
an AArch64 guest's FPSR (float ops, MSR and MRS of FPSR between them, loads and
stores) through the engine on the ppc64le host is the interpreted tier's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tcgkit.testing.emulated import Emulated

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))
MACHINE = Emulated("ppc64el", ROOT, REPO)
#: scalar float instructions of every class, with MSR / MRS of FPSR and guest memory
#: accesses between them (x10: a data page)
A64_SEQUENCE = """
    msr fpsr, x5
    fadd d0, d1, d2
    mrs x6, fpsr
    fmul d3, d1, d2
    fcvtzs w9, d3
    str d3, [x10]
    msr fpsr, x7
    fdiv d5, d1, d2
    fmadd d6, d1, d2, d3
    ldr d7, [x10, #8]
    mrs x8, fpsr
    fsqrt d5, d1
    frintx s6, s4
    frintn d7, d2
    frinta d8, d3
    fcvt s4, d6
    fcvt d2, s4
    fcvtzu x11, d1
    fcvtas x12, d2
    scvtf s0, x5
    fminnm d1, d2, d3
    fmax s2, s4, s0
    fsub s3, s4, s2
    fcmpe d4, d5
"""

#: A64_SEQUENCE assembled (checked against keystone where the AArch64 target and
#: keystone are installed: the host-ppc tox environment has neither)
A64_CODE = bytes.fromhex(
    "25441bd52028621e26443bd52308621e6900781e430100fd27441bd52518621e"
    "260c421f470540fd28443bd525c0611e8640271e4740641e6840661ec440621e"
    "82c0221e2b00799e4c00649ea000229e4178631e8248201e8338221e9020651e"
)


@pytest.fixture
def machine() -> Emulated:
    return MACHINE.ready()


def test_fpscr_accumulates_the_flags_the_interpreter_computes(machine: Emulated) -> None:
    script = Path(__file__).with_name("native_fp_flags.py")
    res = machine.run([str(script), "300"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "directed ops matched" in res.stdout and "calls matched" in res.stdout
    assert "300 float programs matched" in res.stdout


def test_a64_fpsr_on_the_ppc64le_host_matches_the_interpreter(machine: Emulated) -> None:
    try:
        from tcgkit_target_aarch64.oracle import assemble
    except ImportError:
        pass
    else:
        assert assemble(A64_SEQUENCE) == A64_CODE
    script = Path(__file__).with_name("native_a64_fpsr.py")
    res = machine.run([str(script), A64_CODE.hex(), "200"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "200 A64 FPSR examples matched" in res.stdout
