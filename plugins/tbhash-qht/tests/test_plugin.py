"""The distribution registers its three policies, each through its own entry point."""

from __future__ import annotations

import importlib.metadata as metadata

from tcgkit.plugins import TB_HASH, get_plugin_manager
from tcgkit_tbhash_qht import POLICIES


def test_entry_points_in_group_tcgkit() -> None:
    dist = metadata.distribution("tcgkit-tbhash-qht")
    names = {ep.name for ep in dist.entry_points if ep.group == "tcgkit"}
    assert names == {"qht-dyn-nomru", "qht-dyn-mru", "qht-fixed-nomru"}
    assert any(req.split()[0].startswith("tcgkit") for req in dist.requires or [])


def test_discovered_with_their_distribution() -> None:
    manager = get_plugin_manager()
    for cls in POLICIES:
        info = manager.get_info(TB_HASH, cls.name)
        assert info.obj is cls
        assert info.distribution == "tcgkit-tbhash-qht"
        assert TB_HASH.first_party[cls.name] == "tcgkit-tbhash-qht"
    assert not [w for w in manager.load_warnings if "tbhash-qht" in w]
