"""macvlan_info's assembly across namespaces, on synthetic views (no kernel)."""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.link_result import LINK_FIELDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.inventory import (
    info_link_result,
    parent_result,
    parent_usage,
    parents_of,
    resolve_parents,
    select_links,
)


def link(name, ifindex, kind=None, parent_ifindex=None, parent_netnsid=None, mode=None, **extra):
    state = {
        "name": name, "ifindex": ifindex, "kind": kind, "parent_ifindex": parent_ifindex,
        "parent_netnsid": parent_netnsid, "mode": mode, "promisc": False, "promiscuity": 0,
        "allmulticast": False, "up": True, "mac_address": "02:00:00:00:00:%02x" % ifindex,
    }
    state.update(extra)
    return state


def world() -> list[dict]:
    """host (current ns): eth0=2, mvhost on eth0. h2: eth0=2 too (same name and index!),
    uplink=3. c1 knows the current ns as nsid 0 and h2 as nsid 1; c2 knows h2 as nsid 0."""
    return [
        {"netns": None, "links": [link("lo", 1), link("eth0", 2, promiscuity=1), link("mvhost", 5, "macvlan", 2, mode="bridge")], "peer_nsids": {}},
        {"netns": "h2", "links": [link("lo", 1), link("eth0", 2), link("uplink", 3, "veth", 2), link("mvh2", 4, "macvlan", 3, mode="vepa")], "peer_nsids": {}},
        {
            "netns": "c1",
            "links": [
                link("lo", 1),
                link("mv0", 2, "macvlan", 2, parent_netnsid=0, mode="vepa"),
                link("mv1", 3, "macvlan", 2, parent_netnsid=1, mode="private"),
                link("mt0", 4, "macvtap", 3, parent_netnsid=1, mode="bridge"),
            ],
            "peer_nsids": {None: 0, "h2": 1},
        },
        {
            "netns": "c2",
            "links": [
                link("lo", 1),
                link("mv0", 2, "macvlan", 2, parent_netnsid=0, mode="bridge"),
                link("orphan", 3, "macvlan", 7, parent_netnsid=5, mode="bridge"),
            ],
            "peer_nsids": {"h2": 0},
        },
    ]


def where_of(resolved, netns, ifindex):
    found = resolved[(netns, ifindex)]
    return None if found is None else (found[0], found[1]["name"])


def test_parents_are_resolved_by_namespace_id_not_by_index():
    resolved = resolve_parents(world())
    assert where_of(resolved, None, 5) == (None, "eth0")
    assert where_of(resolved, "h2", 4) == ("h2", "uplink")
    # Index 2 exists in both the current namespace and h2: the nsid decides.
    assert where_of(resolved, "c1", 2) == (None, "eth0")
    assert where_of(resolved, "c1", 3) == ("h2", "eth0")
    assert where_of(resolved, "c1", 4) == ("h2", "uplink")
    # The same nsid value means another namespace when seen from c2.
    assert where_of(resolved, "c2", 2) == ("h2", "eth0")
    # nsid 5 is unknown to c2: the parent is not guessed.
    assert resolved[("c2", 3)] is None
    # Only macvlans and macvtaps are resolved.
    assert ("h2", 3) not in resolved


def test_a_namespace_that_was_not_read_leaves_the_parent_unresolved():
    views = [view for view in world() if view["netns"] != "h2"]
    resolved = resolve_parents(views)
    assert where_of(resolved, "c1", 2) == (None, "eth0")
    assert resolved[("c1", 3)] is None and resolved[("c2", 2)] is None


def test_a_vanished_parent_index_is_unresolved():
    views = world()
    views[1]["links"] = [l for l in views[1]["links"] if l["name"] != "eth0"]
    assert resolve_parents(views)[("c1", 3)] is None


def test_usage_counts_every_macvlan_seen_with_its_modes():
    views = world()
    usage = parent_usage(views, resolve_parents(views))
    assert usage == {
        (None, 2): {"macvlan_count": 2, "modes": ["bridge", "vepa"]},
        ("h2", 2): {"macvlan_count": 2, "modes": ["bridge", "private"]},
        ("h2", 3): {"macvlan_count": 2, "modes": ["bridge", "vepa"]},
    }


def names(selected):
    return [(netns, state["name"], state["parent"]) for netns, state, _where in selected]


def test_select_by_scope_name_and_parent():
    views = world()
    resolved = resolve_parents(views)
    every = [None, "h2", "c1", "c2"]
    assert names(select_links(views, resolved, ["c1"])) == [("c1", "mt0", "uplink"), ("c1", "mv0", "eth0"), ("c1", "mv1", "eth0")]
    assert names(select_links(views, resolved, every, name="mv0")) == [("c1", "mv0", "eth0"), ("c2", "mv0", "eth0")]
    assert names(select_links(views, resolved, every, parent="uplink")) == [("c1", "mt0", "uplink"), ("h2", "mvh2", "uplink")]
    assert names(select_links(views, resolved, every, name="mv0", parent="uplink")) == []
    # The current namespace sorts first; an unresolved parent is None.
    assert names(select_links(views, resolved, every))[0] == (None, "mvhost", "eth0")
    assert ("c2", "orphan", None) in names(select_links(views, resolved, every))
    # Input views are not modified.
    assert "parent" not in views[2]["links"][1]


def test_described_links_have_macvlan_links_shape_plus_parent_netns():
    views = world()
    resolved = resolve_parents(views)
    entries = {(netns, state["name"]): info_link_result(netns, state, where) for netns, state, where in select_links(views, resolved, [None, "c1", "c2"])}
    assert set(entries[(None, "mvhost")]) == set(LINK_FIELDS)
    assert entries[("c1", "mv0")]["parent_netns"] is None  # the current namespace
    assert entries[("c1", "mv1")]["parent_netns"] == "h2"
    assert entries[("c1", "mv1")]["netns"] == "c1"
    assert set(entries[("c1", "mv1")]) == set(LINK_FIELDS) | {"parent_netns"}
    # Not resolvable: no parent_netns, which would otherwise read as "the current namespace".
    assert "parent_netns" not in entries[("c2", "orphan")] and entries[("c2", "orphan")]["parent"] is None


def test_parents_of_selected_links_once_each():
    views = world()
    resolved = resolve_parents(views)
    selected = select_links(views, resolved, [None, "h2", "c1", "c2"])
    assert [(netns, state["name"]) for netns, state in parents_of(selected)] == [(None, "eth0"), ("h2", "eth0"), ("h2", "uplink")]


def test_parent_result():
    state = link("eth0", 2, promiscuity=1)
    described = parent_result(None, state, {"macvlan_count": 2, "modes": ["bridge"]}, {"driver": "virtio_net", "wireless": False})
    assert described == {
        "name": "eth0", "netns": None, "ifindex": 2, "kind": None, "driver": "virtio_net", "wireless": False,
        "promisc": False, "promiscuity": 1, "allmulticast": False, "up": True, "macvlan_count": 2, "modes": ["bridge"],
    }
    assert parent_result("h2", state, {}, {})["macvlan_count"] == 0


def test_named_netns_lists_run_netns_like_ip_netns_list(tmp_path):
    from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.scan import named_netns

    for name in ("web2", "web1", ".hidden"):
        (tmp_path / name).touch()
    assert named_netns(str(tmp_path)) == ["web1", "web2"]
    assert named_netns(str(tmp_path / "missing")) == []
