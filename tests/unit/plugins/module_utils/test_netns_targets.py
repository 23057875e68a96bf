"""Namespace targets and the stable MAC's namespace part (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_options import container_mac_identity
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import is_named, netns_file
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.stable_mac import stable_mac


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
def test_container_mac_identity(netns, addresses, identity):
    assert container_mac_identity(netns, addresses) == identity


def test_ten_named_namespaces_give_ten_macs():
    macs = {stable_mac("seed", container_mac_identity(f"net{i}", None), "eth0") for i in range(10)}
    assert len(macs) == 10


def test_an_address_identity_cannot_equal_a_namespace_name():
    # Names never contain '/', CIDRs always do.
    assert "/" in container_mac_identity("/proc/1/ns/net", ["10.0.0.1/32"])


@pytest.mark.parametrize("netns, named", [("net1", True), ("/proc/1/ns/net", False), (None, False)])
def test_is_named(netns, named):
    assert is_named(netns) is named


def test_netns_file():
    assert netns_file(None) == "/proc/self/ns/net"
    assert netns_file("net1") == "/run/netns/net1"
    assert netns_file("/proc/7/ns/net") == "/proc/7/ns/net"
