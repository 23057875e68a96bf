from __future__ import annotations

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netns_placement import (
    NO_PEER_ID,
    check_ownership,
    is_named,
    mac_identity,
    netns_file,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._stable_mac import stable_mac


@pytest.mark.parametrize(
    "netns, addresses, identity",
    [
        ("net1", None, "net1"),
        ("net1", ["192.168.8.120/24"], "net1"),
        ("/proc/42/ns/net", ["192.168.8.120/24", "10.0.0.1/8"], "192.168.8.120/24"),
        ("/run/docker/netns/abc", ["2001:DB8:0::10/64"], "2001:db8::10/64"),
        ("/proc/42/ns/net", None, None),
        ("/proc/42/ns/net", [], None),
    ],
)
def test_mac_identity(netns, addresses, identity):
    assert mac_identity(netns, addresses) == identity


def test_ten_named_namespaces_give_ten_macs():
    macs = {stable_mac("seed", mac_identity(f"net{i}", None), "eth0") for i in range(10)}
    assert len(macs) == 10


def test_an_address_identity_cannot_equal_a_namespace_name():
    # Names never contain '/', CIDRs always do.
    assert "/" in mac_identity("/proc/1/ns/net", ["10.0.0.1/32"])


@pytest.mark.parametrize("netns, named", [("net1", True), ("/proc/1/ns/net", False), (None, False)])
def test_is_named(netns, named):
    assert is_named(netns) is named


def test_netns_file():
    assert netns_file(None) == "/proc/self/ns/net"
    assert netns_file("net1") == "/run/netns/net1"
    assert netns_file("/proc/7/ns/net") == "/proc/7/ns/net"


class FakeNl:
    def __init__(self, where, names):
        self.where = where
        self.names = names

    def link_name(self, index):
        return self.names.get(index)


FACTS = {"parent": "eth0", "parent_ifindex": 2, "parent_netnsid": 0}
DESIRED = {"name": "eth0", "state": "present", "recreate": "never"}
PNL = FakeNl("namespace 'h1'", {2: "eth0", 5: "eth1"})
TNL = FakeNl("namespace 'c1'", {3: "veth9"})


@pytest.mark.parametrize(
    "observed",
    [
        None,
        {"kind": "veth", "parent_ifindex": 9, "parent_netnsid": None},  # the planner refuses these
        {"kind": "macvlan", "parent_ifindex": 2, "parent_netnsid": 0},
        {"kind": "macvtap", "parent_ifindex": 2, "parent_netnsid": 0},
    ],
)
def test_ownership_accepts_our_link(observed):
    check_ownership(observed, DESIRED, FACTS, PNL, TNL)


@pytest.mark.parametrize(
    "observed, names",
    [
        ({"kind": "macvlan", "parent_ifindex": 5, "parent_netnsid": 0}, "eth1 in namespace 'h1'"),
        ({"kind": "macvlan", "parent_ifindex": 2, "parent_netnsid": 1}, "ifindex 2 in another namespace (peer id 1)"),
        ({"kind": "macvlan", "parent_ifindex": 3, "parent_netnsid": None}, "veth9 in namespace 'c1'"),
    ],
)
def test_ownership_refuses_a_macvlan_on_another_parent(observed, names):
    with pytest.raises(MacvlanError) as err:
        check_ownership(observed, DESIRED, FACTS, PNL, TNL)
    msg = str(err.value)
    assert names in msg and "namespace 'c1'" in msg and "recreate: options-changed" in msg
    check_ownership(observed, dict(DESIRED, recreate="options-changed"), FACTS, PNL, TNL)
    check_ownership(observed, dict(DESIRED, state="absent"), FACTS, PNL, TNL)


def test_no_peer_id_never_matches_a_kernel_id():
    observed = {"kind": "macvlan", "parent_ifindex": 2, "parent_netnsid": 0}
    with pytest.raises(MacvlanError):
        check_ownership(observed, DESIRED, dict(FACTS, parent_netnsid=NO_PEER_ID), PNL, TNL)
