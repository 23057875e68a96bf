"""parent omitted on creation: the interface of the default route, as the CNI macvlan plugin picks it
(macvlan_link in the link's namespace, macvlan_netns in parent_netns). Verified with iproute2."""

from __future__ import annotations


def test_macvlan_link_takes_the_default_route_interface(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mvd", "netns": h1, "mode": "bridge"}
    msg = modules.fails("macvlan_link", args)["msg"]
    assert msg == f"parent: omitted, and namespace '{h1}' has no default route to take it from (creating link mvd in namespace '{h1}'); set parent"
    host_lab.run(h1, "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
    host_lab.run(h1, "ip", "link", "set", "eth1", "up")
    host_lab.run(h1, "ip", "route", "add", "default", "via", "10.77.0.254", "dev", "eth0")
    predicted = modules.ok("macvlan_link", args, check=True)
    assert predicted["link"]["parent"] == "eth0"
    applied = modules.four_steps("macvlan_link", args, host_lab, [h1])
    assert applied["link"]["parent"] == "eth0"
    assert host_lab.link(h1, "mvd")["link"] == "eth0"


def test_macvlan_netns_takes_the_default_route_interface_of_parent_netns(host_lab, modules):
    h1, c1 = host_lab.ns("h1"), host_lab.add_container("c1")
    host_lab.run(h1, "ip", "-6", "addr", "add", "fd00:77::1/64", "dev", "eth0")
    host_lab.run(h1, "ip", "-6", "route", "add", "default", "via", "fd00:77::fe", "dev", "eth0")
    args = {"name": "eth0", "netns": c1, "parent_netns": h1, "addresses": ["10.77.0.40/24"]}
    applied = modules.four_steps("macvlan_netns", args, host_lab, [h1, c1])
    assert applied["link"]["parent"] == "eth0"
    assert host_lab.ping(host_lab.ns("lan"), "10.77.0.40")


def test_macvlan_links_takes_the_default_route_interface_of_each_parent_netns(host_lab, modules):
    """Two new links without a parent (one next to it, one in a container): the error first, then the
    four steps; an existing link with parent omitted stays "don't care" (no change)."""
    h1, c1 = host_lab.ns("h1"), host_lab.add_container("c1")
    config = [
        {"name": "mvd", "netns": h1, "parent_netns": h1, "addresses": ["10.77.0.41/24"]},
        {"name": "eth0", "netns": c1, "parent_netns": h1, "addresses": ["10.77.0.42/24"]},
    ]
    before = {ns: host_lab.snapshot(ns) for ns in (h1, c1)}
    msg = modules.fails("macvlan_links", {"config": config})["msg"]
    assert f"parent: omitted, and namespace '{h1}' has no default route to take it from (creating link mvd in namespace '{h1}'); set parent" in msg
    assert {ns: host_lab.snapshot(ns) for ns in (h1, c1)} == before, "a refused run changed the kernel"
    # A second interface that is not the default route's: the choice must follow the route.
    host_lab.run(h1, "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
    host_lab.run(h1, "ip", "link", "set", "eth1", "up")
    host_lab.run(h1, "ip", "route", "add", "default", "via", "10.77.0.254", "dev", "eth0")
    predicted = modules.ok("macvlan_links", {"config": config}, check=True)
    assert [link["link"]["parent"] for link in predicted["links"]] == ["eth0", "eth0"]
    applied = modules.four_steps("macvlan_links", {"config": config}, host_lab, [h1, c1])
    assert [link["link"]["parent"] for link in applied["links"]] == ["eth0", "eth0"]
    assert host_lab.link(h1, "mvd")["link"] == "eth0"
    assert host_lab.ping(host_lab.ns("lan"), "10.77.0.41") and host_lab.ping(host_lab.ns("lan"), "10.77.0.42")
    # The default route moves to eth1: existing links keep their parent (omitted = don't care).
    host_lab.run(h1, "ip", "route", "replace", "default", "dev", "eth1")
    assert modules.ok("macvlan_links", {"config": config})["changed"] is False
    assert host_lab.link(h1, "mvd")["link"] == "eth0"
