"""Discovery and selection through the real entry-point machinery, seen from the CLI."""

from __future__ import annotations


def test_zero_plugins_lists_nothing_and_says_what_to_install(site):
    res = site.run("plugins")
    assert res.returncode == 0, res.stderr
    assert "host backends (0):" in res.stdout
    assert "tcgkit-host-python" in res.stdout
    assert "tcgkit-target-aarch64" in res.stdout
    assert "tcgkit-tbhash-qht" in res.stdout
    table = site.run("plugins", "--json").json()
    assert table == {"host": [], "target": [], "tb_hash": [], "clashes": [], "warnings": []}


def test_unknown_first_party_name_names_its_distribution(site):
    res = site.run("plugins", "host", "x86_64")
    assert res.returncode == 2
    assert "no host backend named 'x86_64' is installed" in res.stderr
    assert "no host backend is installed" in res.stderr
    assert "pip install tcgkit-host-x86" in res.stderr
    res = site.run("plugins", "tb_hash", "xxhash-rcu")
    assert res.returncode == 2
    assert "tcgkit-tbhash-legacy" in res.stderr


def test_unknown_name_lists_installed_names(site, good_plugin):
    site.add("fake-dist", {"fake_plugin": good_plugin}, {"fake": "fake_plugin"})
    res = site.run("plugins", "host", "nosuch")
    assert res.returncode == 2
    assert "installed host backends: fakehost (fake-dist 1.2.3)" in res.stderr
    assert "x86_64 (tcgkit-host-x86)" in res.stderr  # what first-party names exist


def test_installed_plugins_are_listed_with_distribution_and_version(site, good_plugin):
    site.add("fake-dist", {"fake_plugin": good_plugin}, {"fake": "fake_plugin"}, version="4.5.6")
    table = site.run("plugins", "--json").json()
    [host] = table["host"]
    assert host["name"] == "fakehost"
    assert host["distribution"] == "fake-dist"
    assert host["version"] == "4.5.6"
    assert host["native"] is False
    assert host["features"] == {"widgets": True, "gadgets": False}
    assert host["summary"] == "A host backend used only by tests."
    assert [t["name"] for t in table["target"]] == ["faketarget"]
    assert [p["name"] for p in table["tb_hash"]] == ["fakepolicy"]
    text = site.run("plugins").stdout
    assert "fakehost" in text and "not native here" in text and "[widgets]" in text
    one = site.run("plugins", "target", "faketarget", "--json")
    assert one.returncode == 0
    assert one.json()["distribution"] == "fake-dist"


def test_name_clash_names_both_distributions(site, good_plugin):
    site.add("dist-one", {"plug_one": good_plugin}, {"one": "plug_one"})
    clash = """
        from tcgkit import hookimpl
        class Other:
            name = "faketarget"
        class Fine:
            name = "finetarget"
        @hookimpl
        def tcgkit_guest_targets(register):
            register(Other)
            register(Fine)
    """
    site.add("dist-two", {"plug_two": clash}, {"two": "plug_two"}, version="9.0")
    res = site.run("plugins", "target", "faketarget")
    assert res.returncode == 2
    assert "dist-one 1.2.3" in res.stderr and "dist-two 9.0" in res.stderr
    assert "more than one distribution" in res.stderr
    # the other names stay usable
    assert site.run("plugins", "target", "finetarget").returncode == 0
    assert site.run("plugins", "host", "fakehost").returncode == 0
    listing = site.run("plugins", "--json")
    assert listing.returncode == 2
    assert len(listing.json()["clashes"]) == 1


def test_plugin_failing_to_import_warns_and_others_load(site, good_plugin):
    site.add("good-dist", {"good_plugin": good_plugin}, {"good": "good_plugin"})
    site.add(
        "bad-dist", {"bad_plugin": "raise RuntimeError('boom at import')\n"}, {"bad": "bad_plugin"}
    )
    site.add("gone-dist", {}, {"gone": "module_that_does_not_exist"})
    res = site.run("plugins", "--json")
    assert res.returncode == 0, res.stderr
    table = res.json()
    assert [h["name"] for h in table["host"]] == ["fakehost"]
    joined = "\n".join(table["warnings"])
    assert "bad (from bad-dist 1.2.3: bad_plugin) failed to import" in joined
    assert "RuntimeError: boom at import" in joined
    assert "gone (from gone-dist" in joined and "ModuleNotFoundError" in joined
    assert "PluginLoadWarning" in res.stderr


def test_hook_that_raises_or_registers_junk_warns(site, good_plugin):
    junk = """
        from tcgkit import hookimpl
        class NoProbe:
            name = "noprobe"
        @hookimpl
        def tcgkit_host_backends(register):
            register(NoProbe)
        @hookimpl
        def tcgkit_guest_targets(register):
            raise ValueError("target table corrupt")
        @hookimpl
        def tcgkit_tb_hash_policies(register):
            register(object())
    """
    site.add("junk-dist", {"junk_plugin": junk}, {"junk": "junk_plugin"})
    site.add("good-dist", {"good_plugin": good_plugin}, {"good": "good_plugin"})
    table = site.run("plugins", "--json").json()
    assert [h["name"] for h in table["host"]] == ["fakehost"]
    assert [t["name"] for t in table["target"]] == ["faketarget"]
    joined = "\n".join(table["warnings"])
    assert "without a proper native_here, features" in joined
    assert "raised in tcgkit_guest_targets: ValueError: target table corrupt" in joined
    assert "as a TB hash-table policy without a proper name" in joined


def test_unknown_kind_and_missing_name_exit_2(site):
    assert site.run("plugins", "frobs").returncode == 2
    res = site.run("plugins", "host")
    assert res.returncode == 2
    assert "a name is needed" in res.stderr
