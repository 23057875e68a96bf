"""macvlan_links against a real kernel: each state four-step (check → apply → apply → check with
netlink snapshots), host and container links in one task, orphan cleanup limited to what config
names, failure midway, and a thousand links in one task. Verified with `ip -d -j`."""

from __future__ import annotations

import json

import pytest

M = "macvlan_links"


@pytest.fixture
def links_lab(lab):
    """Switch; host h1 (eth0 10.77.0.1/24) with a second NIC eth1; containers c1, c2."""
    lab.add_switch()
    lab.add_host("h1", "10.77.0.1/24")
    lab.add_host("lan", "10.77.0.254/24")
    h1 = lab.ns("h1")
    lab.run(h1, "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
    lab.run(h1, "ip", "link", "set", "eth1", "up")
    lab.add_container("c1")
    lab.add_container("c2")
    return lab


def host(lab, name, **kw):
    h1 = lab.ns("h1")
    return dict({"name": name, "netns": h1, "parent_netns": h1, "parent": "eth0"}, **kw)


def container(lab, role, address, **kw):
    return dict({"name": "eth1", "netns": lab.ns(role), "parent_netns": lab.ns("h1"), "parent": "eth0", "addresses": [address]}, **kw)


def macvlans(lab, ns) -> dict:
    out = lab.run(ns, "ip", "-d", "-j", "link", "show", "type", "macvlan").stdout
    return {link["ifname"]: link for link in json.loads(out or "[]")}


def actions(result) -> list[tuple]:
    return [(entry["name"], entry["action"]) for entry in result["links"]]


def test_merged_host_and_containers_in_one_task(links_lab, modules):
    lab = links_lab
    h1, c1, c2 = lab.ns("h1"), lab.ns("c1"), lab.ns("c2")
    config = [
        host(lab, "shim0", addresses=["10.77.0.250/32"], routes=[{"dst": "10.77.0.192/27"}]),
        container(lab, "c1", "10.77.0.193/24", routes=[{"dst": "default", "gateway": "10.77.0.254"}]),
        container(lab, "c2", "10.77.0.194/24", mode="bridge"),
    ]
    result = modules.four_steps(M, {"config": config}, lab, [h1, c1, c2])
    assert actions(result) == [("shim0", "created"), ("eth1", "created"), ("eth1", "created")]
    assert [d["after_header"].split(" in ")[0] for d in result["diff"]] == ["shim0", "eth1", "eth1"]
    shim = macvlans(lab, h1)["shim0"]
    assert shim["linkinfo"]["info_data"]["mode"] == "bridge" and "UP" in shim["flags"]
    assert lab.addrs(h1, "shim0") == ["10.77.0.250/32"] and lab.addrs(c1, "eth1") == ["10.77.0.193/24"]
    assert result["links"][1]["link"]["parent"] == "eth0" and result["links"][1]["link"]["ifindex"] == macvlans(lab, c1)["eth1"]["ifindex"]
    # Real traffic: the containers reach each other and the LAN; the host reaches them through its shim.
    assert lab.ping(c1, "10.77.0.194") and lab.ping(c2, "10.77.0.254") and lab.ping(h1, "10.77.0.193")
    # merged: options left out are "don't care"; a changed one is updated in place.
    changed = modules.four_steps(M, {"config": [dict(config[2], mode="private")]}, lab, [h1, c1, c2])
    assert actions(changed) == [("eth1", "updated")]
    assert macvlans(lab, c2)["eth1"]["linkinfo"]["info_data"]["mode"] == "private"
    assert macvlans(lab, c2)["eth1"]["ifindex"] == result["links"][2]["link"]["ifindex"]


def test_replaced_puts_unset_options_back_to_defaults(links_lab, modules):
    lab = links_lab
    h1 = lab.ns("h1")
    modules.ok(M, {"config": [host(lab, "mv0", mode="vepa", mtu=1400, addresses=["10.77.0.10/24"])]})
    mac = macvlans(lab, h1)["mv0"]["address"]
    result = modules.four_steps(M, {"state": "replaced", "config": [host(lab, "mv0")]}, lab, [h1])
    assert actions(result) == [("mv0", "updated")]
    link = macvlans(lab, h1)["mv0"]
    assert link["linkinfo"]["info_data"]["mode"] == "bridge" and link["mtu"] == 1500 and link["address"] == mac
    assert lab.addrs(h1, "mv0") == []


def test_overridden_deletes_exactly_the_unlisted_macvlans_on_the_named_parents(links_lab, modules):
    lab = links_lab
    h1, c1, c2 = lab.ns("h1"), lab.ns("c1"), lab.ns("c2")
    for name in ("orphan1", "orphan2"):
        lab.run(h1, "ip", "link", "add", "link", "eth0", "name", name, "type", "macvlan", "mode", "bridge")
    lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "tap9", "type", "macvtap", "mode", "bridge")
    # Left alone: a macvlan on another parent, a veth, and an "engine's" endpoint in a namespace config does not name.
    lab.run(h1, "ip", "link", "add", "link", "eth1", "name", "other", "type", "macvlan", "mode", "bridge")
    lab.run(h1, "ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vy0")
    lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "engine0", "type", "macvlan", "mode", "bridge")
    lab.run(h1, "ip", "link", "set", "engine0", "netns", c2)
    # And in a container config names, its orphan goes.
    lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "stale", "type", "macvlan", "mode", "bridge")
    lab.run(h1, "ip", "link", "set", "stale", "netns", c1)
    config = [host(lab, "shim0", addresses=["10.77.0.250/32"]), container(lab, "c1", "10.77.0.193/24")]
    result = modules.four_steps(M, {"state": "overridden", "config": config}, lab, [h1, c1, c2])
    deleted = sorted(name for name, action in actions(result) if action == "deleted")
    assert deleted == ["orphan1", "orphan2", "stale", "tap9"]
    assert sorted(macvlans(lab, h1)) == ["other", "shim0"] and lab.link(h1, "tap9") is None
    assert lab.link(h1, "vx0") is not None and sorted(macvlans(lab, c2)) == ["engine0"]
    assert sorted(macvlans(lab, c1)) == ["eth1"]


def test_deleted_by_name_and_by_parent(links_lab, modules):
    lab = links_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    modules.ok(M, {"config": [host(lab, "mv0"), host(lab, "mv1"), host(lab, "mv2", parent="eth1"), container(lab, "c1", "10.77.0.193/24")]})
    result = modules.four_steps(M, {"state": "deleted", "config": [{"name": "mv0", "netns": h1}]}, lab, [h1, c1])
    assert actions(result) == [("mv0", "deleted")] and sorted(macvlans(lab, h1)) == ["mv1", "mv2"]
    by_parent = modules.four_steps(M, {"state": "deleted", "config": [{"netns": h1, "parent_netns": h1, "parent": "eth0"}]}, lab, [h1, c1])
    assert actions(by_parent) == [("mv1", "deleted")]
    assert sorted(macvlans(lab, h1)) == ["mv2"] and sorted(macvlans(lab, c1)) == ["eth1"]


def test_gathered_round_trips_into_merged_as_a_no_op(links_lab, modules):
    lab = links_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    config = [
        host(lab, "mv0", mode="vepa", mtu=1400, addresses=["10.77.0.10/24", "2001:db8::10/64"], routes=[{"dst": "10.99.0.0/16", "gateway": "10.77.0.254"}]),
        host(lab, "src0", mode="source", source_macs=["02:00:00:00:00:01"], flags=["nodst"]),
        host(lab, "tap0", kind="macvtap", up=False),
        container(lab, "c1", "10.77.0.193/24"),
    ]
    modules.ok(M, {"config": config})
    before = {ns: lab.snapshot(ns) for ns in (h1, c1)}
    gathered = modules.ok(M, {"state": "gathered", "config": [{"netns": h1}, {"netns": c1}]}, check=True)
    assert gathered["changed"] is False and {ns: lab.snapshot(ns) for ns in (h1, c1)} == before
    entries = {(e["netns"], e["name"]): e for e in gathered["gathered"]}
    assert sorted(entries) == sorted([(h1, "mv0"), (h1, "src0"), (h1, "tap0"), (c1, "eth1")])
    assert entries[(c1, "eth1")]["parent"] == "eth0" and entries[(c1, "eth1")]["parent_netns"] == h1
    assert entries[(h1, "mv0")]["mac_address"] == macvlans(lab, h1)["mv0"]["address"] and entries[(h1, "mv0")]["mtu"] == 1400
    modules.four_steps(M, {"config": gathered["gathered"]}, lab, [h1, c1], expect_change=False)
    # Narrowed by parent.
    on_eth0 = modules.ok(M, {"state": "gathered", "config": [{"netns": c1, "parent": "eth0", "parent_netns": h1}]})
    assert [e["name"] for e in on_eth0["gathered"]] == ["eth1"]


def test_a_bad_entry_anywhere_fails_before_anything_changes(links_lab, modules):
    lab = links_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    lab.run(h1, "ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vy0")
    before = {ns: lab.snapshot(ns) for ns in (h1, c1)}
    good = [host(lab, "mv0"), container(lab, "c1", "10.77.0.193/24")]
    for bad, fragment in (
        (host(lab, "mv1", mode="bridge", flags=["nodst"]), "config[2] (mv1 in namespace"),
        (host(lab, "vx0"), "is a veth, not a macvlan"),
        (host(lab, "mv1", mtu=9000), "has MTU 1500"),
        (host(lab, "mv1", addresses=["10.0.0.300/24"]), "config[2] (mv1"),
        (host(lab, "mv0"), "already listed as config[0]"),
        (dict(host(lab, "mv1"), netns="no-such-ns-here"), "does not exist"),
    ):
        failed = modules.fails(M, {"config": good + [bad]})
        assert fragment in failed["msg"], failed["msg"]
        assert {ns: lab.snapshot(ns) for ns in (h1, c1)} == before


def test_a_failure_midway_keeps_earlier_links_and_leaves_no_half_built_one(links_lab, modules):
    lab = links_lab
    h1 = lab.ns("h1")
    config = [
        host(lab, "mv0", mac_address="02:aa:00:00:00:01"),
        # The route's gateway is on no subnet of the link: created, then the route fails.
        host(lab, "mv1", addresses=["10.77.0.11/24"], routes=[{"dst": "10.99.0.0/16", "gateway": "192.0.2.1"}]),
        host(lab, "mv2"),
    ]
    failed = modules.fails(M, {"config": config})
    assert "config[1] (mv1" in failed["msg"] and "adding route 10.99.0.0/16 via 192.0.2.1 on mv1" in failed["msg"]
    assert "the new link mv1 was removed again" in failed["msg"]
    assert "Converged before it: config[0] (mv0" in failed["msg"] and "Not attempted: config[2] (mv2" in failed["msg"]
    assert sorted(macvlans(lab, h1)) == ["mv0"] and macvlans(lab, h1)["mv0"]["address"] == "02:aa:00:00:00:01"
    # A later entry whose MAC collides with a link made earlier in the same run.
    failed = modules.fails(M, {"config": [host(lab, "mv3", mac_address="02:aa:00:00:00:03"), host(lab, "mv4", mac_address="02:aa:00:00:00:03")]})
    assert "config[1] (mv4" in failed["msg"] and "already used by macvlan mv3 on parent eth0" in failed["msg"]
    assert sorted(macvlans(lab, h1)) == ["mv0", "mv3"]


def test_a_thousand_links_in_one_task(links_lab, modules):
    lab = links_lab
    h1 = lab.ns("h1")
    config = [host(lab, f"mvk{i}") for i in range(1000)]
    created = modules.ok(M, {"config": config})
    assert created["changed"] and {entry["action"] for entry in created["links"]} == {"created"}
    kernel = macvlans(lab, h1)
    assert len(kernel) == 1000 and all("UP" in link["flags"] for link in kernel.values())
    assert len({link["address"] for link in kernel.values()}) == 1000
    again = modules.ok(M, {"config": config})
    assert again["changed"] is False and len(again["links"]) == 1000
    gone = modules.ok(M, {"state": "deleted", "config": [{"netns": h1, "parent_netns": h1, "parent": "eth0"}]})
    assert len(gone["links"]) == 1000 and macvlans(lab, h1) == {}


def test_a_refusal_inside_a_batch_of_creations_leaves_later_links_undone(links_lab, modules):
    """Plain creations go out in windows; the kernel refuses passthru next to other macvlans (EINVAL),
    after the next creation of the window was already made: that one is removed again."""
    lab = links_lab
    h1 = lab.ns("h1")
    config = [host(lab, "mva"), host(lab, "mvp", mode="passthru"), host(lab, "mvb"), host(lab, "mvc")]
    failed = modules.fails(M, {"config": config})
    assert "config[1] (mvp" in failed["msg"] and "the parent is busy: a passthru link needs the parent to itself" in failed["msg"]
    assert "Converged before it: config[0] (mva" in failed["msg"] and "Not attempted: config[2] (mvb" in failed["msg"]
    assert sorted(macvlans(lab, h1)) == ["mva"]


def test_top_level_netns_is_the_default_of_the_entries(links_lab, modules):
    """What module_defaults for the action group gives every module (netns) also works here."""
    lab = links_lab
    h1 = lab.ns("h1")
    result = modules.four_steps(M, {"netns": h1, "config": [{"name": "mvt0", "parent": "eth0"}]}, lab, [h1])
    assert result["links"][0]["netns"] == h1 and sorted(macvlans(lab, h1)) == ["mvt0"]
    gathered = modules.ok(M, {"netns": h1, "state": "gathered"})
    assert [(e["name"], e["netns"], e["parent_netns"]) for e in gathered["gathered"]] == [("mvt0", h1, h1)]
