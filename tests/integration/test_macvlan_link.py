"""macvlan_link against a real kernel: every case is check → apply → apply → check, then
verified with iproute2 (`ip -d -j`) and, for modes, with real traffic."""

from __future__ import annotations

import pytest

M = "macvlan_link"


def info(lab, ns, name):
    link = lab.link(ns, name)
    assert link is not None, f"{name} does not exist in {ns}"
    return link


@pytest.mark.parametrize("mode", ["bridge", "vepa", "private", "passthru", "source"])
def test_create_in_every_mode(host_lab, modules, mode):
    h1 = host_lab.ns("h1")
    result = modules.four_steps(M, {"name": "mv0", "parent": "eth0", "netns": h1, "mode": mode}, host_lab, [h1])
    link = info(host_lab, h1, "mv0")
    assert link["linkinfo"]["info_kind"] == "macvlan"
    assert link["linkinfo"]["info_data"]["mode"] == mode
    assert link["link"] == "eth0"
    assert "UP" in link["flags"]
    assert result["link"]["mode"] == mode and result["link"]["parent"] == "eth0"
    assert result["link"]["ifindex"] == link["ifindex"]
    assert result["link"]["mac_address"] == link["address"]
    assert result["diff"]["before"] == {} and result["diff"]["after"]["mode"] == mode


def test_macvtap_and_parent_given_as_a_macvlan_resolve_to_the_lower_device(host_lab, modules):
    h1 = host_lab.ns("h1")
    modules.four_steps(M, {"name": "mvtap0", "parent": "eth0", "netns": h1, "kind": "macvtap"}, host_lab, [h1])
    assert info(host_lab, h1, "mvtap0")["linkinfo"]["info_kind"] == "macvtap"
    modules.ok(M, {"name": "mv0", "parent": "eth0", "netns": h1})
    # A macvlan on mv0 really sits on eth0: the kernel says so, and so does the module.
    result = modules.four_steps(M, {"name": "mv1", "parent": "mv0", "netns": h1}, host_lab, [h1])
    assert info(host_lab, h1, "mv1")["link"] == "eth0"
    assert result["link"]["parent"] == "eth0"


def test_live_mode_changes_keep_the_ifindex(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "mode": "bridge"}
    ifindex = modules.ok(M, args)["link"]["ifindex"]
    for mode in ("private", "vepa", "bridge"):
        result = modules.four_steps(M, dict(args, mode=mode), host_lab, [h1])
        assert result["diff"]["before"]["mode"] != mode and result["diff"]["after"]["mode"] == mode
        link = info(host_lab, h1, "mv0")
        assert link["linkinfo"]["info_data"]["mode"] == mode
        assert link["ifindex"] == ifindex


def test_passthru_transition_needs_recreate_and_keeps_mac_and_addresses(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "mode": "bridge", "addresses": ["10.77.0.10/24"]}
    created = modules.ok(M, args)["link"]
    before = host_lab.snapshot(h1)
    failed = modules.fails(M, dict(args, mode="passthru"))
    assert "mode: bridge -> passthru" in failed["msg"] and "recreate: options-changed" in failed["msg"] and h1 in failed["msg"]
    assert host_lab.snapshot(h1) == before
    result = modules.four_steps(M, dict(args, mode="passthru", recreate="options-changed"), host_lab, [h1])
    assert result["recreated"] is True and result["recreate_reasons"][0].startswith("mode: bridge -> passthru")
    link = info(host_lab, h1, "mv0")
    assert link["linkinfo"]["info_data"]["mode"] == "passthru"
    assert link["ifindex"] != created["ifindex"]
    assert host_lab.addrs(h1, "mv0") == ["10.77.0.10/24"]
    assert "UP" in link["flags"]


def test_parent_and_kind_changes_need_recreate(host_lab, modules):
    h1 = host_lab.ns("h1")
    host_lab.run(h1, "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
    args = {"name": "mv0", "parent": "eth0", "netns": h1}
    mac = modules.ok(M, args)["link"]["mac_address"]
    failed = modules.fails(M, dict(args, parent="eth1", kind="macvtap"))
    assert "parent: eth0 -> eth1" in failed["msg"] and "kind: macvlan -> macvtap" in failed["msg"]
    assert info(host_lab, h1, "mv0")["link"] == "eth0"
    result = modules.four_steps(M, dict(args, parent="eth1", kind="macvtap", recreate="options-changed"), host_lab, [h1])
    assert sorted(result["recreate_reasons"]) == ["kind: macvlan -> macvtap", "parent: eth0 -> eth1"]
    link = info(host_lab, h1, "mv0")
    assert link["link"] == "eth1" and link["linkinfo"]["info_kind"] == "macvtap" and link["address"] == mac


def test_recreate_always_is_never_idempotent(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "recreate": "always"}
    first = modules.ok(M, args)["link"]["ifindex"]
    second = modules.ok(M, args)
    assert second["changed"] and second["recreated"]
    assert info(host_lab, h1, "mv0")["ifindex"] != first


def test_flags_source_list_and_broadcast_queue_change_live(host_lab, modules):
    h1 = host_lab.ns("h1")
    macs = ["02:00:00:00:00:01", "02:00:00:00:00:02"]
    args = {"name": "mvs", "parent": "eth0", "netns": h1, "mode": "source", "source_macs": macs, "flags": ["nodst"]}
    modules.four_steps(M, args, host_lab, [h1])
    data = info(host_lab, h1, "mvs")["linkinfo"]["info_data"]
    assert sorted(data["macaddr_data"]) == ["02:00:00:00:00:01", "02:00:00:00:00:02"]
    ifindex = info(host_lab, h1, "mvs")["ifindex"]
    changed = dict(args, source_macs=["02:00:00:00:00:03"], flags=[], bcqueuelen=321, bc_cutoff=3)
    result = modules.four_steps(M, changed, host_lab, [h1])
    data = info(host_lab, h1, "mvs")["linkinfo"]["info_data"]
    assert data["macaddr_data"] == ["02:00:00:00:00:03"] and data["bcqueuelen"] == 321
    assert info(host_lab, h1, "mvs")["ifindex"] == ifindex
    assert result["link"]["bcqueuelen"] == 321 and result["link"]["bc_cutoff"] == 3 and result["link"]["flags"] == []
    # passthru + nopromisc: the parent is not put into promiscuous mode.
    lan = host_lab.ns("lan")
    modules.four_steps(M, {"name": "mvp", "parent": "eth0", "netns": lan, "mode": "passthru", "flags": ["nopromisc"]}, host_lab, [lan])
    assert info(host_lab, lan, "mvp")["linkinfo"]["info_data"].get("nopromisc") is True
    assert "PROMISC" not in host_lab.link(lan, "eth0")["flags"]


def test_mac_mtu_up_down_in_place(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1}
    ifindex = modules.ok(M, args)["link"]["ifindex"]
    modules.four_steps(M, dict(args, mac_address="02:AB:CD:00:00:01", mtu=1400, up=False), host_lab, [h1])
    link = info(host_lab, h1, "mv0")
    assert link["address"] == "02:ab:cd:00:00:01" and link["mtu"] == 1400 and "UP" not in link["flags"]
    assert link["ifindex"] == ifindex


def test_addresses_and_routes_exact_set_ipv4_and_ipv6(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {
        "name": "mv0",
        "parent": "eth0",
        "netns": h1,
        "addresses": ["10.77.0.10/24", "2001:db8:77::10/64"],
        "routes": [
            {"dst": "10.99.0.0/16", "gateway": "10.77.0.254"},
            {"dst": "2001:db8:99::/48", "gateway": "2001:db8:77::1", "metric": 50},
        ],
    }
    modules.four_steps(M, args, host_lab, [h1])
    assert host_lab.addrs(h1, "mv0") == ["10.77.0.10/24", "2001:db8:77::10/64"]
    v4 = [(r["dst"], r.get("gateway")) for r in host_lab.routes(h1, "mv0") if r.get("protocol") != "kernel"]
    assert v4 == [("10.99.0.0/16", "10.77.0.254")]
    v6 = [(r["dst"], r.get("gateway"), r.get("metric")) for r in host_lab.routes(h1, "mv0", "-6") if r.get("protocol") != "kernel"]
    assert ("2001:db8:99::/48", "2001:db8:77::1", 50) in v6
    # A route someone else added through the link is removed by the exact set; addresses swap.
    host_lab.run(h1, "ip", "route", "add", "10.98.0.0/16", "via", "10.77.0.254", "dev", "mv0")
    changed = dict(args, addresses=["10.77.0.11/24"], routes=[{"dst": "default", "gateway": "10.77.0.254"}])
    modules.four_steps(M, changed, host_lab, [h1])
    assert host_lab.addrs(h1, "mv0") == ["10.77.0.11/24"]
    v4 = [(r["dst"], r.get("gateway")) for r in host_lab.routes(h1, "mv0") if r.get("protocol") != "kernel"]
    assert v4 == [("default", "10.77.0.254")]
    assert [r for r in host_lab.routes(h1, "mv0", "-6") if r.get("protocol") not in ("kernel",) and r["dst"] != "fe80::/64"] == []
    modules.four_steps(M, dict(args, addresses=[], routes=[]), host_lab, [h1])
    assert host_lab.addrs(h1, "mv0") == []


def test_absent_deletes_only_macvlans(host_lab, modules):
    h1 = host_lab.ns("h1")
    modules.ok(M, {"name": "mv0", "parent": "eth0", "netns": h1})
    modules.four_steps(M, {"name": "mv0", "netns": h1, "state": "absent"}, host_lab, [h1])
    assert host_lab.link(h1, "mv0") is None
    # eth0 is a veth: refused whatever recreate says, and left intact.
    for args in ({"name": "eth0", "netns": h1, "state": "absent"}, {"name": "eth0", "parent": "eth0", "netns": h1, "recreate": "always"}):
        failed = modules.fails(M, args)
        assert "is a veth, not a macvlan or macvtap" in failed["msg"] and h1 in failed["msg"]
        assert host_lab.link(h1, "eth0")["linkinfo"]["info_kind"] == "veth"


def test_stable_mac_survives_recreation_and_differs_per_link(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "mac_address_seed": "lab-seed"}
    first = modules.ok(M, args)["link"]["mac_address"]
    modules.ok(M, {"name": "mv0", "netns": h1, "state": "absent"})
    again = modules.ok(M, args)["link"]["mac_address"]
    assert again == first == host_lab.link(h1, "mv0")["address"]
    assert int(first[:2], 16) & 0x03 == 0x02  # locally administered unicast
    sibling = modules.ok(M, dict(args, name="mv1"))["link"]["mac_address"]
    assert sibling != first
    # random: the kernel picks, so re-creation changes it
    rnd = {"name": "mvr", "parent": "eth0", "netns": h1, "mac_address_policy": "random"}
    mac1 = modules.ok(M, rnd)["link"]["mac_address"]
    modules.ok(M, dict(rnd, state="absent"))
    mac2 = modules.ok(M, rnd)["link"]["mac_address"]
    assert mac1 != mac2


def _place(lab, host_ns, link, container_ns, address):
    """Move a link into a container namespace with plain ip (the test's own tool, not the module's)."""
    lab.run(host_ns, "ip", "link", "set", link, "netns", container_ns)
    lab.run(container_ns, "ip", "addr", "add", address, "dev", link)
    lab.run(container_ns, "ip", "link", "set", link, "up")


@pytest.mark.parametrize(
    "mode, hairpin, reachable",
    [("bridge", False, True), ("private", False, False), ("private", True, False), ("vepa", False, False), ("vepa", True, True)],
)
def test_traffic_between_siblings_follows_the_mode(host_lab, modules, mode, hairpin, reachable):
    h1 = host_lab.ns("h1")
    c1, c2 = host_lab.add_container("c1"), host_lab.add_container("c2")
    if hairpin:
        host_lab.set_hairpin("h1")
    for name, ns, address in (("mva", c1, "10.77.0.21/24"), ("mvb", c2, "10.77.0.22/24")):
        modules.ok(M, {"name": name, "parent": "eth0", "netns": h1, "mode": mode})
        _place(host_lab, h1, name, ns, address)
    # Every macvlan reaches the LAN peer through the parent, whatever the mode...
    assert host_lab.ping(c1, "10.77.0.254")
    # ...but siblings reach each other only as the mode (and the switch's hairpin) allows.
    assert host_lab.ping(c1, "10.77.0.22", tries=2 if reachable else 1) is reachable


def test_source_mode_receives_only_from_listed_senders(lab, modules):
    lab.add_switch()
    h1 = lab.add_host("h1")
    lab.add_host("ok", "10.77.0.31/24")
    lab.add_host("no", "10.77.0.32/24")
    listed = lab.link(lab.ns("ok"), "eth0")["address"]
    c1 = lab.add_container("c1")
    modules.ok(M, {"name": "mvs", "parent": "eth0", "netns": h1, "mode": "source", "source_macs": [listed]})
    _place(lab, h1, "mvs", c1, "10.77.0.50/24")
    assert lab.ping(lab.ns("ok"), "10.77.0.50")
    assert not lab.ping(lab.ns("no"), "10.77.0.50", tries=1)


@pytest.mark.parametrize(
    "args, fragment",
    [
        ({"name": "a-very-long-name0"}, "at most 15 bytes"),
        ({"name": "bad/name"}, "must not contain"),
        ({"mac_address": "02:00:00:00:00"}, "not a MAC address"),
        ({"mac_address": "01:00:5e:00:00:01"}, "multicast"),
        ({"mac_address": "00:00:00:00:00:00"}, "all-zero"),
        ({"parent": "nosuch0"}, "parent 'nosuch0' does not exist in namespace"),
        ({"parent": None}, "has no default route to take it from"),
        ({"mode": "bridge", "flags": ["nopromisc"]}, "'nopromisc' needs mode passthru"),
        ({"mode": "bridge", "flags": ["nodst"]}, "'nodst' needs mode source"),
        ({"mode": "vepa", "source_macs": ["02:00:00:00:00:01"]}, "only a mode source link"),
        ({"addresses": ["10.0.0.300/24"]}, "not an IP address"),
        ({"routes": [{"dst": "nowhere"}]}, "is not a network"),
        ({"mtu": 20}, "between 68 and 65535"),
    ],
)
def test_bad_input_fails_clearly_and_changes_nothing(host_lab, modules, args, fragment):
    h1 = host_lab.ns("h1")
    before = host_lab.snapshot(h1)
    full = {"name": "mv0", "parent": "eth0", "netns": h1}
    full.update(args)
    failed = modules.fails(M, {k: v for k, v in full.items() if v is not None})
    assert fragment in failed["msg"]
    assert host_lab.snapshot(h1) == before


def test_missing_namespace_is_an_error_and_is_not_created(lab, modules):
    missing = lab.ns("missing")
    failed = modules.fails(M, {"name": "mv0", "parent": "eth0", "netns": missing})
    assert f"namespace '{missing}' does not exist" in failed["msg"]
    from lab import list_netns

    assert missing not in list_netns()


def test_passthru_needs_the_parent_to_itself(host_lab, modules):
    h1 = host_lab.ns("h1")
    modules.ok(M, {"name": "mv0", "parent": "eth0", "netns": h1})
    failed = modules.fails(M, {"name": "mvp", "parent": "eth0", "netns": h1, "mode": "passthru"})
    assert "the parent is busy" in failed["msg"] and h1 in failed["msg"]
    assert host_lab.link(h1, "mvp") is None
    lan = host_lab.ns("lan")
    modules.ok(M, {"name": "mvp", "parent": "eth0", "netns": lan, "mode": "passthru"})
    failed = modules.fails(M, {"name": "mvq", "parent": "eth0", "netns": lan, "mode": "passthru"})
    assert "the parent is busy" in failed["msg"]
    assert host_lab.link(lan, "mvq") is None


def test_a_mac_already_on_the_parent_is_refused(host_lab, modules):
    h1 = host_lab.ns("h1")
    mac = modules.ok(M, {"name": "mv0", "parent": "eth0", "netns": h1})["link"]["mac_address"]
    failed = modules.fails(M, {"name": "mv1", "parent": "eth0", "netns": h1, "mac_address": mac})
    assert "already used by macvlan mv0 on parent eth0" in failed["msg"]
    parent_mac = host_lab.link(h1, "eth0")["address"]
    failed = modules.fails(M, {"name": "mv1", "parent": "eth0", "netns": h1, "mac_address": parent_mac})
    assert "already used by parent eth0" in failed["msg"]
    # Siblings come from a kernel-filtered dump of macvlans and macvtaps: other kinds on the host
    # (a veth pair here) are not sent, a macvtap sibling is found and named as one.
    host_lab.run(h1, "ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vy0")
    host_lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "tap0", "type", "macvtap", "mode", "bridge")
    tap_mac = host_lab.link(h1, "tap0")["address"]
    failed = modules.fails(M, {"name": "mv1", "parent": "eth0", "netns": h1, "mac_address": tap_mac})
    assert "already used by macvtap tap0 on parent eth0" in failed["msg"]
    assert host_lab.link(h1, "mv1") is None


def test_a_failure_after_creation_leaves_no_half_built_link(host_lab, modules):
    h1 = host_lab.ns("h1")
    before = host_lab.snapshot(h1)
    # The gateway is not on any subnet of the link: the route fails after the link was created.
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "addresses": ["10.77.0.10/24"], "routes": [{"dst": "10.99.0.0/16", "gateway": "192.0.2.1"}]}
    failed = modules.fails(M, args)
    assert "adding route 10.99.0.0/16 via 192.0.2.1 on mv0" in failed["msg"] and h1 in failed["msg"]
    assert host_lab.link(h1, "mv0") is None
    assert host_lab.snapshot(h1) == before


def test_a_failed_recreation_restores_the_previous_link(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "addresses": ["10.77.0.10/24"]}
    old = modules.ok(M, args)["link"]
    host_lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "other", "type", "macvlan", "mode", "bridge")
    # passthru needs the parent to itself: re-creation fails at create, and the old link comes back.
    failed = modules.fails(M, dict(args, mode="passthru", recreate="options-changed"))
    assert "the parent is busy" in failed["msg"]
    link = info(host_lab, h1, "mv0")
    assert link["linkinfo"]["info_data"]["mode"] == "bridge" and link["address"] == old["mac_address"]
    assert host_lab.addrs(h1, "mv0") == ["10.77.0.10/24"]


def test_on_link_routes_have_link_scope_like_ip_route(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "addresses": ["10.77.0.10/32"], "routes": [{"dst": "10.77.0.64/27"}]}
    modules.four_steps(M, args, host_lab, [h1])
    route = [r for r in host_lab.routes(h1, "mv0") if r["dst"] == "10.77.0.64/27"]
    assert route and route[0].get("scope") == "link" and "gateway" not in route[0]


# Plays a kernel older than 5.11: it takes IFLA_MACVLAN_BC_QUEUE_LEN and silently ignores it.
KERNEL_IGNORES_BCQUEUELEN = """
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import reader as _netlink_read
_dump = _netlink_read.LinkReader.dump_links_with_ip
def _old_kernel(self, kinds):
    links = _dump(self, kinds)
    for link in links:
        link.bcqueuelen = None
    return links
_netlink_read.LinkReader.dump_links_with_ip = _old_kernel
"""


@pytest.mark.parametrize("kind", ["macvtap", "macvlan"])
def test_recreating_a_link_on_the_same_parent_keeps_its_mac(host_lab, modules, kind):
    """The link being replaced is not a rival for its own MAC (compared by ifindex, any kind)."""
    h1 = host_lab.ns("h1")
    args = {"name": "mvt0", "parent": "eth0", "netns": h1, "kind": kind, "addresses": ["10.77.0.12/24"]}
    old = modules.ok(M, args)["link"]
    again = modules.ok(M, dict(args, recreate="always"), diff=True)
    assert again["changed"] and again["recreated"] and again["recreate_reasons"] == ["recreate: always"]
    link = info(host_lab, h1, "mvt0")
    assert link["ifindex"] != old["ifindex"] and link["address"] == old["mac_address"]
    assert link["linkinfo"]["info_kind"] == kind and host_lab.addrs(h1, "mvt0") == ["10.77.0.12/24"]
    other = "macvlan" if kind == "macvtap" else "macvtap"
    switched = modules.four_steps(M, dict(args, kind=other, recreate="options-changed"), host_lab, [h1])
    assert switched["recreate_reasons"] == [f"kind: {kind} -> {other}"]
    link = info(host_lab, h1, "mvt0")
    assert link["linkinfo"]["info_kind"] == other and link["address"] == old["mac_address"]


def test_a_failed_read_back_after_recreation_restores_the_previous_link(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "mode": "vepa", "addresses": ["10.77.0.10/24"]}
    old = modules.ok(M, args)["link"]
    failed = modules.run(M, dict(args, bcqueuelen=200, recreate="always"), fault=KERNEL_IGNORES_BCQUEUELEN)
    assert failed.get("failed"), failed
    assert "bcqueuelen=200: the running kernel" in failed["msg"] and "needs Linux 5.11" in failed["msg"] and h1 in failed["msg"]
    assert "the previous link mv0 was restored" in failed["msg"]
    link = info(host_lab, h1, "mv0")
    assert link["address"] == old["mac_address"] and link["linkinfo"]["info_data"]["mode"] == "vepa"
    assert "UP" in link["flags"] and host_lab.addrs(h1, "mv0") == ["10.77.0.10/24"]
    # A new link that the kernel did not configure as asked is removed again.
    failed = modules.run(M, dict(args, name="mv1", bcqueuelen=200), fault=KERNEL_IGNORES_BCQUEUELEN)
    assert failed.get("failed") and "the new link mv1 was removed again" in failed["msg"]
    assert host_lab.link(h1, "mv1") is None


def test_a_failing_route_restore_after_an_address_change_puts_the_link_back(host_lab, modules):
    """Removing 10.77.0.10/24 flushes the route through 10.77.0.254; with only 10.88.0.10/24
    left the route cannot come back, so the address change is undone too."""
    h1 = host_lab.ns("h1")
    route = {"dst": "10.99.0.0/16", "gateway": "10.77.0.254"}
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "addresses": ["10.77.0.10/24"], "routes": [route]}
    modules.ok(M, args)
    before = host_lab.snapshot(h1)
    failed = modules.fails(M, dict(args, addresses=["10.88.0.10/24"]))
    assert "restoring route 10.99.0.0/16 via 10.77.0.254 on mv0" in failed["msg"] and "gateway is not reachable" in failed["msg"]
    assert "the changes to mv0 were undone" in failed["msg"] and h1 in failed["msg"]
    assert host_lab.addrs(h1, "mv0") == ["10.77.0.10/24"]
    assert [(r["dst"], r.get("gateway")) for r in host_lab.routes(h1, "mv0") if r.get("protocol") != "kernel"] == [("10.99.0.0/16", "10.77.0.254")]
    assert host_lab.snapshot(h1) == before


def test_an_mtu_above_the_parent_s_is_refused_before_the_kernel_is_touched(host_lab, modules):
    h1 = host_lab.ns("h1")
    before = host_lab.snapshot(h1)
    failed = modules.fails(M, {"name": "mv0", "parent": "eth0", "netns": h1, "mtu": 9000})
    assert "mtu=9000" in failed["msg"] and "parent eth0" in failed["msg"] and "has MTU 1500" in failed["msg"] and h1 in failed["msg"]
    assert host_lab.snapshot(h1) == before
    modules.ok(M, {"name": "mv0", "parent": "eth0", "netns": h1})
    failed = modules.fails(M, {"name": "mv0", "parent": "eth0", "netns": h1, "mtu": 1501})
    assert "has MTU 1500" in failed["msg"] and info(host_lab, h1, "mv0")["mtu"] == 1500


def test_addresses_with_a_lifetime_belong_to_their_protocol(host_lab, modules):
    """A DHCP lease or an autoconfigured IPv6 address has a lifetime (no IFA_F_PERMANENT): the exact
    set of `addresses` leaves it alone, and the result reports it as a dynamic address."""
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "parent": "eth0", "netns": h1, "addresses": ["10.77.0.10/24"]}
    modules.ok(M, args)
    host_lab.run(h1, "ip", "addr", "add", "10.88.0.57/24", "dev", "mv0", "valid_lft", "300", "preferred_lft", "300")
    result = modules.four_steps(M, args, host_lab, [h1], expect_change=False)
    assert result["link"]["addresses"] == ["10.77.0.10/24"] and result["link"]["dynamic_addresses"] == ["10.88.0.57/24"]
    assert sorted(host_lab.addrs(h1, "mv0")) == ["10.77.0.10/24", "10.88.0.57/24"]
    modules.ok(M, dict(args, addresses=[]))
    assert host_lab.addrs(h1, "mv0") == ["10.88.0.57/24"]
