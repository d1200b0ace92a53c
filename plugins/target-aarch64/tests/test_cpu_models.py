"""CPU models: ``Emulator("aarch64", cpu=...)`` selects max (the default) or Cortex-A53,
-A57 or -A72; a model refuses the instructions of the features it lacks exactly as
an unallocated encoding (InvalidInstructionError at the pc, interrupt 1 under
tcgkit.unicorn), reads its own MIDR_EL1 and ID registers, and Linux user mode
advertises its features in AT_HWCAP / AT_HWCAP2 (``tcgkit run --cpu``)."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from tcgkit import PROT_ALL, Emulator, InvalidArgumentError, InvalidInstructionError
from tcgkit.linux.run import run_program
from tcgkit_target_aarch64 import linux_process as LP
from tcgkit_target_aarch64 import state as S
from tcgkit_target_aarch64.cpu_models import ARMV8_CRYPTO, MODELS, hwcaps
from tcgkit_target_aarch64.decode import GATED_FEATURES, decode, decoder_for, gate
from tcgkit_target_aarch64.oracle import assemble
from tcgkit_target_aarch64.oracle import test_host as host_under_test

CODE = 0x10000
DATA = 0x80000
#: an LSE atomic, FP16 arithmetic, SHA512H, SQRDMLAH, LDAPR, CFINV, RNDR, PACIA
V81_PLUS = {
    "ldadd x0, x2, [x1]": 0xF8200022,
    "fadd h0, h1, h2": 0x1EE22820,
    "sha512h q0, q1, v2.2d": 0xCE628020,
    "sqrdmlah v0.4s, v1.4s, v2.4s": 0x6E828420,
    "ldapr x2, [x1]": 0xF8BFC022,
    "cfinv": 0xD500401F,
    "mrs x2, rndr": 0xD53B2402,
    "pacia x2, x1": 0xDAC10022,
}
#: Armv8.0 words every model runs: AES, PMULL, SHA1C, SHA256H, CRC32X, FCVT s0, h1,
#: the PACIASP hint (a NOP on v8.0), FMULX by element of S
V80 = {
    "aese v0.16b, v1.16b": 0x4E284820,
    "pmull v0.1q, v1.1d, v2.1d": 0x0EE2E020,
    "sha1c q0, s1, v2.4s": 0x5E020020,
    "sha256h q0, q1, v2.4s": 0x5E024020,
    "crc32x w2, w0, x1": 0x9AC14C02,
    "fcvt s0, h1": 0x1EE24020,
    "paciasp": 0xD503233F,
    "fmulx v4.2s, v2.2s, v20.s[3]": 0x2FB49844,
}


def run_word(word: int, cpu: str | None) -> Emulator:
    emu = Emulator("aarch64", host=host_under_test(), cpu=cpu)
    emu.mem_map(CODE, 0x1000, PROT_ALL)
    emu.mem_map(DATA, 0x1000, PROT_ALL)
    emu.mem_write(CODE, word.to_bytes(4, "little"))
    emu.reg_write("x1", DATA + 0x100)
    emu.emu_start(CODE, CODE + 4)
    return emu


def test_the_default_model_is_max() -> None:
    with Emulator("aarch64", host=host_under_test()) as emu:
        assert emu.cpu_name == "max"
        assert emu.engine.target.cpu_model is MODELS["max"]


def test_an_unknown_model_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidArgumentError) as err:
        Emulator("aarch64", host=host_under_test(), cpu="cortex-a99")
    text = str(err.value)
    assert "'cortex-a99'" in text
    for name in ("max", "cortex-a53", "cortex-a57", "cortex-a72"):
        assert name in text


@pytest.mark.parametrize("cpu", ["cortex-a53", "cortex-a57", "cortex-a72"])
@pytest.mark.parametrize("text", sorted(V81_PLUS))
def test_cortex_models_refuse_armv81_words_as_unknown_encodings(cpu: str, text: str) -> None:
    word = V81_PLUS[text]
    with pytest.raises(InvalidInstructionError) as err:
        run_word(word, cpu)
    assert err.value.pc == CODE
    assert err.value.insn == word
    with pytest.raises(InvalidInstructionError) as unknown:  # an unallocated word: same class
        run_word(0, cpu)
    assert type(err.value) is type(unknown.value)
    run_word(word, "max").close()  # and max runs it


@pytest.mark.parametrize("cpu", sorted(MODELS))
@pytest.mark.parametrize("text", sorted(V80))
def test_every_model_runs_armv80_crypto_and_crc32(cpu: str, text: str) -> None:
    run_word(V80[text], cpu).close()


@pytest.mark.parametrize(("cpu", "midr"), [("max", 0x000F0510), ("cortex-a53", 0x410FD034),
                                           ("cortex-a57", 0x411FD070),
                                           ("cortex-a72", 0x410FD083)])  # fmt: skip
def test_mrs_reads_the_models_midr_and_id_registers(cpu: str, midr: int) -> None:
    mrs = {  # MRS x2, <reg>
        "midr": 0xD5380002,
        "revidr": 0xD53800C2,
        "isar0": 0xD5380602,
        "pfr0": 0xD5380402,
        "ctr": 0xD53B0022,
    }
    model = MODELS[cpu]
    for name, word in mrs.items():
        with run_word(word, cpu) as emu:
            value = emu.reg_read("x2")
        key = ((word >> 19 & 1) + 2, word >> 16 & 7, word >> 12 & 15, word >> 8 & 15,
               word >> 5 & 7)  # fmt: skip
        assert value == model.id_regs.get(key, 0), name
    with run_word(mrs["midr"], cpu) as emu:
        assert emu.reg_read("x2") == midr
    if cpu != "max":  # Armv8.0 + crypto + CRC32: AES 2, SHA1 1, SHA2 1, CRC32 1
        assert model.id_regs[(3, 0, 0, 6, 0)] == 0x11120


def test_hwcaps_advertise_exactly_the_features() -> None:
    assert (MODELS["max"].hwcap, MODELS["max"].hwcap2) == (S.HWCAP, S.HWCAP2)
    # every feature max implements but pointer authentication and BTI, which only a Linux
    # process has (keys enabled, guarded pages: ``linux_process`` adds their bits)
    assert hwcaps(MODELS["max"].features - {"paca", "pacg", "bti"}) == (S.HWCAP, S.HWCAP2)
    for name in ("cortex-a53", "cortex-a57", "cortex-a72"):
        model = MODELS[name]
        assert model.features == ARMV8_CRYPTO
        # FP, ASIMD, AES, PMULL, SHA1, SHA2, CRC32, CPUID; nothing in AT_HWCAP2
        assert (model.hwcap, model.hwcap2) == (0x8FB, 0)
        assert hwcaps(model.features) == (0x8FB, 0)


def test_max_decodes_with_the_plain_decoder() -> None:
    """No gate costs max anything: its decoder is ``decode`` itself."""
    assert decoder_for(MODELS["max"].features) is decode


def test_a_models_decoder_differs_from_max_only_on_gated_words() -> None:
    restricted = decoder_for(ARMV8_CRYPTO)
    rng = random.Random("gates")
    gated = 0
    for _ in range(20000):
        word = rng.getrandbits(32)
        feature = gate(word)
        if feature is None or feature in ARMV8_CRYPTO:
            assert restricted(word) is decode(word), hex(word)
        else:
            gated += 1
            assert feature in GATED_FEATURES
            assert restricted(word) is None, hex(word)
    assert gated > 0


# -- Linux user mode: AT_HWCAP / AT_HWCAP2 --------------------------------------------------

#: walk the initial stack to the auxiliary vector, write AT_HWCAP and AT_HWCAP2 (16 bytes)
#: to stdout, exit 0
AUXV_PROGRAM = """
    mov x1, sp
    ldr x2, [x1]
    add x1, x1, x2, lsl #3
    add x1, x1, #16
env:
    ldr x3, [x1], #8
    cbnz x3, env
    mov x5, #0
    mov x6, #0
aux:
    ldp x3, x4, [x1], #16
    cbz x3, done
    cmp x3, #16
    csel x5, x4, x5, eq
    cmp x3, #26
    csel x6, x4, x6, eq
    b aux
done:
    sub sp, sp, #16
    stp x5, x6, [sp]
    mov x0, #1
    mov x1, sp
    mov x2, #16
    mov x8, #64
    svc #0
    mov x0, #0
    mov x8, #93
    svc #0
"""


def _elf(code: bytes, base: int = 0x400000) -> bytes:
    """A static AArch64 ELF64 executable: ``code`` at its entry point."""
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, base + 0x78, 64, 0, 0, 64, 56, 1, 64,
                          0, 0)  # fmt: skip
    size = 0x78 + len(code)
    return header + struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x1000) + code


@pytest.fixture(scope="module")
def auxv_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auxv") / "auxv.elf"
    path.write_bytes(_elf(assemble(AUXV_PROGRAM)))
    path.chmod(0o755)
    return path


def linux_hwcaps(cpu: str) -> tuple[int, int]:
    """A Linux process's AT_HWCAP and AT_HWCAP2: the model's, with pointer authentication
    (PACA, PACG) and BTI (HWCAP2_BTI) where the model has them (``linux_process``)."""
    model = MODELS[cpu]
    hwcap, hwcap2 = model.hwcap, model.hwcap2
    if "paca" in model.features:
        hwcap |= LP.HWCAP_PACA | LP.HWCAP_PACG
    if "bti" in model.features:
        hwcap2 |= LP.HWCAP2_BTI
    return hwcap, hwcap2


@pytest.mark.parametrize("cpu", [None, *sorted(MODELS)])
def test_auxv_hwcap_is_the_models(auxv_elf: Path, cpu: str | None) -> None:
    out = io.BytesIO()
    result = run_program(auxv_elf, host=host_under_test(), cpu=cpu, stdout=out)
    assert result.exit_code == 0
    assert struct.unpack("<QQ", out.getvalue()) == linux_hwcaps(cpu or "max")


def _tcgkit_run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tcgkit", "run", *args], capture_output=True,
                          timeout=300)  # fmt: skip


def test_tcgkit_run_cpu_option(auxv_elf: Path) -> None:
    res = _tcgkit_run("--host", host_under_test(), "--cpu", "cortex-a72", str(auxv_elf))
    assert res.returncode == 0, res.stderr
    assert struct.unpack("<QQ", res.stdout) == (0x8FB, 0)
    res = _tcgkit_run("--host", host_under_test(), "-cpu", "max", str(auxv_elf))
    assert struct.unpack("<QQ", res.stdout) == linux_hwcaps("max")


def test_tcgkit_run_unknown_cpu_is_one_line_and_status_2(auxv_elf: Path) -> None:
    res = _tcgkit_run("--cpu", "cortex-a99", str(auxv_elf))
    err = res.stderr.decode()
    assert res.returncode == 2, err
    assert "Traceback" not in err
    assert err.startswith("tcgkit: error: ") and err.count("\n") == 1, err
    assert "cortex-a99" in err and "cortex-a72" in err


@pytest.mark.parametrize(("name", "word"), [
    ("id_mmfr0_el1", 0xD5380182), ("id_mmfr3_el1", 0xD53801E2), ("mvfr0_el1", 0xD5380302),
    ("mvfr1_el1", 0xD5380322), ("id_isar0_el1", 0xD5380202),
])  # fmt: skip
def test_max_refuses_the_aarch32_id_registers_as_linux_does(name: str, word: int) -> None:
    """On max, the ID registers Linux's CPUID emulation serves are the AArch64 space
    (op0 3, op1 0, CRn 0, CRm 0 and 4-7; unlisted ones read as zero); MRS of an
    AArch32 one (CRm 1-3) is undefined, SIGILL under Linux, as qemu-user has it
    (QEMU's tests/tcg/aarch64/sysregs expects six such reads to fail)."""
    with pytest.raises(InvalidInstructionError):
        run_word(word, "max")
    with run_word(0xD5380702, "max") as emu:  # ID_AA64MMFR0_EL1 (CRm 7): zero
        assert emu.reg_read("x2") == 0
