"""The optional crypto ops on the ppc64le host, executed on a ppc64le machine: a
ppc64el Debian Python (``scripts/debian-sysroot ppc64el``) under
qemu-ppc64le-static runs ``native_crypto.py``: AES single steps and the
carry-less multiply through the vector crypto facility, and the generic
expansions (the SHA ops' too), against the reference on edge and random operands. The lowering is
also checked here by its disassembly, which needs no ppc64le machine."""

from __future__ import annotations

import os
from pathlib import Path

import capstone
import pytest
from tcgkit.native.backend import Runtime
from tcgkit.tcg.liveness import liveness
from tcgkit.tcg.optimize import optimize
from tcgkit.tcg.regalloc import allocate
from tcgkit.testing.emulated import Emulated
from tcgkit.testing.ir_programs import CRYPTO_INPUTS, SHA_INPUTS, crypto_op_program
from tcgkit_host_ppc.backend import allocator
from tcgkit_host_ppc.features import HostFeatures
from tcgkit_host_ppc.lower import lower
from tcgkit_host_ppc.lower_crypto import crypto_ops

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("TCGKIT_PPC64EL_ROOT", REPO / ".cache" / "ppc64el"))
POWER8 = HostFeatures(isa206=True, isa207=True, vcrypto=True)


def test_crypto_ops_on_ppc64le() -> None:
    machine = Emulated("ppc64el", ROOT, REPO).ready()
    res = machine.run([str(Path(__file__).with_name("native_crypto.py")), "200"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "vector crypto: 5 ops matched" in res.stdout
    assert "generic: 5 ops matched" in res.stdout
    assert f"sha: {len(SHA_INPUTS)} ops matched" in res.stdout  # never lowered here
    n_cases = (2 * 5 + len(SHA_INPUTS)) * (36 + 200)
    assert f"crypto ops matched: {n_cases} cases" in res.stdout


def test_optional_ops_follow_the_facility() -> None:
    assert crypto_ops(POWER8) == {f"{k}_i64" for k in CRYPTO_INPUTS}
    assert crypto_ops(POWER8.without("vcrypto")) == frozenset()


#: the instructions that do the work, in order
CORE = {
    "aese": ["vxor v0, v0, v1", "vperm v0, v0, v0, v3", "vcipherlast v0, v0, v2"],
    "aesd": ["vxor v0, v0, v1", "vperm v0, v0, v0, v3", "vncipherlast v0, v0, v2"],
    "aesmc": ["vperm v0, v0, v0, v3", "vncipherlast v0, v0, v2", "vcipher v0, v0, v2"],
    "aesimc": ["vperm v0, v0, v0, v3", "vcipherlast v0, v0, v2", "vncipher v0, v0, v2"],
    "clmul": ["vpmsumd v0, v0, v1"],
}


@pytest.mark.parametrize("kind", list(CRYPTO_INPUTS))
def test_the_lowering_disassembled(kind: str) -> None:
    ctx = crypto_op_program(kind, crypto_ops(POWER8))
    optimize(ctx)
    liveness(ctx)
    rt = Runtime(0, 0, lambda opc, consts: 0, None, 0)
    code = lower(allocate(ctx.ops, allocator()), 0, 0, rt, lambda op: 0, POWER8).code
    md = capstone.Cs(capstone.CS_ARCH_PPC, capstone.CS_MODE_64 | capstone.CS_MODE_LITTLE_ENDIAN)
    text = [f"{i.mnemonic} {i.op_str}" for i in md.disasm(bytes(code), 0)]
    assert len(text) == len(code) // 4
    at = [text.index(t) for t in CORE[kind]]
    assert at == sorted(at), text
    tail = text[at[-1] + 1 :]
    if kind != "clmul":
        assert tail[0] == "vperm v0, v0, v0, v3", text  # back to (hi, lo)
        tail = tail[1:]
    assert tail[0].startswith("mfvsrd r") and tail[0].endswith(", v0"), text
    assert tail[1] == "xxswapd v0, v0", text
    assert tail[2].startswith("mfvsrd r") and tail[2].endswith(", v0"), text
