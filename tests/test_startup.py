"""Start-up stays cheap: discovery loads every installed plugin's entry module,
so those must not import code generators, and nothing imports importlib.metadata
(a quarter of importing tcgkit) unless asked for the version."""

from __future__ import annotations

import json
import subprocess
import sys

from tcgkit.plugins import HOST, get_plugin_manager

PROBE = """
import json, sys
from tcgkit.plugins import get_plugin_manager
get_plugin_manager()
discovered = sorted(sys.modules)
from tcgkit import Emulator
Emulator("aarch64", host="{host}").close()
print(json.dumps({{"discovered": discovered, "after": sorted(sys.modules)}}))
"""

CODEGEN = (".lower", ".lower_mem", ".lower_float", ".encoder", ".constraints", ".codegen")


def _modules(host: str) -> dict[str, list[str]]:
    res = subprocess.run([sys.executable, "-c", PROBE.format(host=host)], capture_output=True,
                         text=True, timeout=300, check=True)  # fmt: skip
    return json.loads(res.stdout)


def test_discovery_imports_no_host_code_generator_and_no_importlib_metadata() -> None:
    hosts = [i for i in get_plugin_manager().infos(HOST) if i.obj.native_here()]
    native = next((i.name for i in hosts if i.name != "python"), "python")
    mods = _modules(native)
    generators = [m for m in mods["discovered"]
                  if m.startswith("tcgkit_host_") and m.endswith(CODEGEN)]  # fmt: skip
    assert generators == []
    assert "importlib.metadata" not in mods["after"]
    assert "email" not in mods["after"]
    # the backend in use imports its code generator when it is made; the others never do
    used = [m for m in mods["after"] if m.startswith("tcgkit_host_") and m.endswith(CODEGEN)]
    package = get_plugin_manager().get(HOST, native).__module__.split(".")[0]
    assert used and all(m.startswith(package + ".") for m in used)


def test_plugins_listing_still_probes_every_host() -> None:
    res = subprocess.run([sys.executable, "-m", "tcgkit", "plugins", "--json"],
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    listed = {h["name"]: h for h in json.loads(res.stdout)["host"]}
    installed = {i.name for i in get_plugin_manager().infos(HOST)}
    assert set(listed) == installed
    for host in listed.values():
        assert "error" not in host, host
        assert isinstance(host["features"], dict) and isinstance(host["native"], bool)
