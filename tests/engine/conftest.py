"""Fixtures for the engine tests: emulators of the toy target on each runnable host."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tcgkit import Emulator
from tcgkit.plugins import HOST, get_plugin_manager
from tcgkit_target_toy.testing import build


def _installed(distribution_module: str) -> bool:
    try:
        __import__(distribution_module)
    except ImportError:
        return False
    return True


# test_pair_atomics runs A64 code: it belongs to the environments that install the
# aarch64 target (host-x86, pure, target-aarch64 for the portable host, and the emulated
# machines' engine tests), not to those that test one host with the toy target alone;
# not collected there (not a skip)
collect_ignore = [] if _installed("tcgkit_target_aarch64") else ["test_pair_atomics.py"]


def runnable_hosts() -> list[str]:
    pm = get_plugin_manager()
    return [i.name for i in pm.infos(HOST) if i.obj.native_here()]


#: the python host's second lowering (Python source and compile(), where the default
#: assembles bytecode): a host of its own here, for compiled TBs
PYTHON_SOURCE = "python-source"


def _host_params() -> list[str]:
    hosts = runnable_hosts()
    return [*hosts, PYTHON_SOURCE] if "python" in hosts else hosts


@pytest.fixture(params=_host_params())
def host(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == PYTHON_SOURCE:
        monkeypatch.setenv("TCGKIT_PYTHON_HOST_SOURCE", "1")
        return "python"
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The source lowering makes only compiled TBs: its interpreted-tier runs would
    repeat the python host's, and are left out (deselected, not skipped)."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("host") == PYTHON_SOURCE and params.get("tier") == "interpreted":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


#: how TBs run: compiled by the host at once, or interpreted (tier 0) for good
TIERS = {"compiled": 0, "interpreted": 1 << 30}


@pytest.fixture(params=sorted(TIERS))
def tier(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make(host: str, tier: str) -> Iterator[Callable[..., Emulator]]:
    """``make(source, **emulator_kwargs)``: see ``tcgkit_target_toy.testing.build``;
    ``tier_up`` as the ``tier`` fixture says unless given."""
    made: list[Emulator] = []

    def make_one(source: str = "", **kwargs: object) -> Emulator:
        kwargs.setdefault("tier_up", TIERS[tier])
        emu = build(source, host=host, **kwargs)
        made.append(emu)
        return emu

    yield make_one
    for emu in made:
        emu.close()
