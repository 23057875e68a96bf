"""macvlan_links' config validation (pure, but for stat of namespace files)."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import ENTRY_SPEC, entries_from_params


def entry(**kw) -> dict:
    base = {key: spec.get("default") for key, spec in ENTRY_SPEC.items()}
    base.update(kw)
    return base


def test_entries_become_desired_links_in_order():
    entries = entries_from_params([entry(name="mv0", parent="eth0"), entry(name="mv1", parent="eth0", mode="vepa")], "merged")
    assert [(e.index, e.desired.name, e.desired.mode, e.desired.exact) for e in entries] == [(0, "mv0", None, False), (1, "mv1", "vepa", False)]
    assert entries[0].desired.new_mac and entries[0].desired.new_mac != entries[1].desired.new_mac


@pytest.mark.parametrize("state, exact, link_state", [("replaced", True, "present"), ("overridden", True, "present"), ("deleted", False, "absent")])
def test_the_state_decides_exactness_and_presence(state, exact, link_state):
    (only,) = entries_from_params([entry(name="mv0", parent="eth0")], state)
    assert only.desired.exact is exact and only.desired.state == link_state


def test_a_deleted_entry_may_name_only_a_parent():
    (only,) = entries_from_params([entry(parent="eth0")], "deleted")
    assert only.desired is None and only.parent == "eth0"
    with pytest.raises(MacvlanError, match=r"config\[0\] \(links in the current namespace\): name: every entry needs a name"):
        entries_from_params([entry(parent="eth0")], "merged")


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (entry(name="a-name-far-too-long"), "config[1] (a-name-far-too-long in the current namespace): name="),
        (entry(name="mv1", mac_address="01:00:5e:00:00:01"), "config[1] (mv1 in the current namespace): mac_address="),
        (entry(name="mv1", netns="../x"), "config[1] (mv1 in namespace '../x'): netns="),
        (entry(name="mv1", netns="lmvt-surely-missing"), "does not exist"),
        (entry(name="mv0"), "config[1] (mv0 in the current namespace): the same link is already listed as config[0]"),
    ],
)
def test_a_bad_entry_is_named_by_index_and_name(bad, fragment):
    with pytest.raises(MacvlanError) as err:
        entries_from_params([entry(name="mv0", parent="eth0"), bad], "merged")
    assert fragment in str(err.value)


def test_a_state_that_changes_links_needs_entries():
    with pytest.raises(MacvlanError, match="needs at least one entry"):
        entries_from_params([], "overridden")
    assert entries_from_params(None, "gathered") == []


def test_top_level_namespaces_are_defaults_for_entries():
    from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import with_namespace_defaults

    assert with_namespace_defaults({"name": "mv0"}, "h1", None) == {"name": "mv0", "netns": "h1", "parent_netns": "h1"}
    assert with_namespace_defaults({"name": "mv0"}, "h1", "sw") == {"name": "mv0", "netns": "h1", "parent_netns": "sw"}
    assert with_namespace_defaults({"name": "mv0", "netns": "c1"}, "h1", None) == {"name": "mv0", "netns": "c1"}
    assert with_namespace_defaults({"name": "mv0", "container": "web"}, "h1", "h1") == {"name": "mv0", "container": "web", "parent_netns": "h1"}
    assert with_namespace_defaults({"name": "mv0"}, None, None) == {"name": "mv0"}
