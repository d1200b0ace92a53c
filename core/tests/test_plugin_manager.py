"""The plugin manager in process: registration, selection, and the ``auto`` host."""

from __future__ import annotations

import types

import pytest
from tcgkit import hookimpl
from tcgkit.plugins import (
    HOST,
    TB_HASH,
    PluginClashError,
    PluginManager,
    UnknownPluginError,
    plugin_table,
)


def _host(name: str, native: bool) -> type:
    return type(
        name,
        (),
        {
            "name": name,
            "native_here": classmethod(lambda cls: native),
            "features": classmethod(lambda cls: {}),
        },
    )


def _plugin(*hosts: type) -> types.SimpleNamespace:
    @hookimpl
    def tcgkit_host_backends(register):
        for h in hosts:
            register(h)

    return types.SimpleNamespace(tcgkit_host_backends=tcgkit_host_backends)


def _manager(*plugins: tuple[str, object]) -> PluginManager:
    m = PluginManager()
    for dist, plugin in plugins:
        m.add_plugin(plugin, entry_point=dist, distribution=dist, version="1")
    m.collect()
    return m


def test_auto_prefers_native_backend_over_python():
    m = _manager(("py", _plugin(_host("python", True))), ("x", _plugin(_host("x86_64", True))))
    assert m.resolve_host("auto") == "x86_64"
    assert m.resolve_host("python") == "python"


def test_auto_falls_back_to_python_when_native_cannot_run():
    m = _manager(("py", _plugin(_host("python", True))), ("a", _plugin(_host("aarch64", False))))
    assert m.resolve_host("auto") == "python"


def test_auto_without_any_runnable_host_is_a_clear_error():
    m = _manager(("a", _plugin(_host("aarch64", False))))
    with pytest.raises(UnknownPluginError, match="tcgkit-host-python"):
        m.resolve_host("auto")
    with pytest.raises(UnknownPluginError, match="pip install tcgkit-host-ppc"):
        m.resolve_host("ppc64le")


def test_get_returns_the_registered_class_and_collect_is_idempotent():
    h = _host("python", True)
    m = _manager(("py", _plugin(h)))
    m.collect()
    assert m.get(HOST, "python") is h
    assert m.get("host", "python") is h
    assert m.names(HOST) == ["python"]
    assert m.clashes() == []


def test_clash_is_reported_per_name():
    m = _manager(("d1", _plugin(_host("x86_64", True))), ("d2", _plugin(_host("x86_64", True))))
    with pytest.raises(PluginClashError, match=r"d1 1 .*d2 1"):
        m.get(HOST, "x86_64")
    assert len(plugin_table(m)["clashes"]) == 1


def test_empty_manager_errors_name_first_party_distributions():
    m = _manager()
    with pytest.raises(UnknownPluginError, match="pip install tcgkit-tbhash-qht"):
        m.get(TB_HASH, "qht-dyn-nomru")
    with pytest.raises(UnknownPluginError, match="no plugin kind 'gpu'"):
        m.get("gpu", "x")
