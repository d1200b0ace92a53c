"""A branch to an address that is not a multiple of 4: the PC alignment fault when
the instruction there would be fetched (the Arm ARM's PC alignment check), raised as
``UnalignedAccessError`` at the misaligned address, where Unicorn stops with
UC_ERR_EXCEPTION; Linux user mode delivers it as SIGBUS with BUS_ADRALN (QEMU's
tests/tcg/aarch64/pcalign-a64; tests/test_linux_user_programs.py runs it)."""

from __future__ import annotations

import pytest
from tcgkit.errors import UnalignedAccessError
from tcgkit_target_aarch64 import oracle
from tcgkit_target_aarch64.oracle import CODE, DATA_SIZE, TIERS, Machine, assemble, run_tcgkit
from unicorn import UcError
from unicorn.unicorn_const import UC_ERR_EXCEPTION


@pytest.mark.parametrize("tier", sorted(TIERS))
@pytest.mark.parametrize("branch", ["br x1", "blr x1", "ret x1"])
@pytest.mark.parametrize("misalign", [1, 2, 3])
def test_a_branch_to_a_misaligned_address_faults_there(tier: str, branch: str,
                                                       misalign: int) -> None:  # fmt: skip
    code = assemble(f"add x1, x1, #{8 + misalign}; {branch}; nop; nop; nop")
    m = Machine({"x1": CODE, "x2": 0}, 0, [0] * 32, bytes(DATA_SIZE))
    with pytest.raises(UcError) as uc:
        oracle.run_unicorn(code, m)
    assert uc.value.errno == UC_ERR_EXCEPTION
    with pytest.raises(UnalignedAccessError) as info:
        run_tcgkit(code, m, tier=tier)
    assert (info.value.address, info.value.pc) == (CODE + 8 + misalign,) * 2


def test_an_aligned_branch_still_runs() -> None:
    code = assemble("add x1, x1, #12; br x1; nop; mov x2, #7")
    m = Machine({"x1": CODE, "x2": 0}, 0, [0] * 32, bytes(DATA_SIZE))
    assert run_tcgkit(code, m).regs["x2"] == 7
