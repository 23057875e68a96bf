from __future__ import annotations

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, validate_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.stable_mac import stable_mac
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.validation import (
    normalize_addresses,
    normalize_mac,
    normalize_routes,
    validate_ifname,
)


@pytest.mark.parametrize("name", ["eth0", "macvlan-shim", "a" * 15, "mv.0", "ü" * 7])
def test_valid_ifnames(name):
    assert validate_ifname(name, "ns") == name


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", "must not be empty"),
        ("a" * 16, "at most 15 bytes"),
        ("ü" * 8, "this one has 16"),
        (".", "not interface names"),
        ("..", "not interface names"),
        ("a/b", "must not contain"),
        ("a b", "must not contain"),
        ("a:b", "must not contain"),
    ],
)
def test_invalid_ifnames_name_the_input_and_namespace(name, fragment):
    with pytest.raises(MacvlanError) as err:
        validate_ifname(name, "namespace 'x'")
    assert fragment in str(err.value)
    assert "namespace 'x'" in str(err.value)


@pytest.mark.parametrize(
    "value, expected",
    [("02:AA:bb:CC:dd:01", "02:aa:bb:cc:dd:01"), ("02-aa-bb-cc-dd-01", "02:aa:bb:cc:dd:01"), (" 52:54:00:12:34:56 ", "52:54:00:12:34:56")],
)
def test_mac_normalisation(value, expected):
    assert normalize_mac(value) == expected


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("01:00:5e:00:00:01", "multicast"),
        ("ff:ff:ff:ff:ff:ff", "multicast"),
        ("00:00:00:00:00:00", "all-zero"),
        ("02:00:00:00:00", "not a MAC"),
        ("zz:00:00:00:00:00", "not a MAC"),
    ],
)
def test_bad_macs(value, fragment):
    with pytest.raises(MacvlanError) as err:
        normalize_mac(value)
    assert fragment in str(err.value)


def test_addresses_are_canonical_sorted_and_deduplicated():
    assert normalize_addresses(["10.0.0.2/24", "2001:DB8:0::1/64", "10.0.0.1/24", "10.0.0.2/24", "192.0.2.5"]) == [
        "10.0.0.1/24",
        "10.0.0.2/24",
        "192.0.2.5/32",
        "2001:db8::1/64",
    ]
    assert normalize_addresses([]) == []
    assert normalize_addresses(None) is None


def test_bad_address():
    with pytest.raises(MacvlanError, match="not an IP address"):
        normalize_addresses(["10.0.0.300/24"])


def test_routes_normalise_default_and_metrics():
    routes = normalize_routes(
        [
            {"dst": "default", "gateway": "192.168.8.1"},
            {"dst": "default", "gateway": "2001:db8::1"},
            {"dst": "10.1.2.3/16"},
            {"dst": "10.1.0.0/16", "metric": "5"},
        ]
    )
    assert routes == [
        {"dst": "0.0.0.0/0", "gateway": "192.168.8.1", "metric": 0},
        {"dst": "10.1.0.0/16", "gateway": None, "metric": 0},
        {"dst": "10.1.0.0/16", "gateway": None, "metric": 5},
        {"dst": "::/0", "gateway": "2001:db8::1", "metric": 1024},
    ]


@pytest.mark.parametrize(
    "route, fragment",
    [
        ({"gateway": "10.0.0.1"}, "needs a 'dst'"),
        ({"dst": "nowhere"}, "is not a network"),
        ({"dst": "10.0.0.0/8", "gateway": "x"}, "is not an IP address"),
        ({"dst": "10.0.0.0/8", "gateway": "2001:db8::1"}, "different IP versions"),
        ({"dst": "10.0.0.0/8", "via": "10.0.0.1"}, "unknown route keys"),
        ({"dst": "10.0.0.0/8", "metric": "high"}, "not an integer"),
    ],
)
def test_bad_routes(route, fragment):
    with pytest.raises(MacvlanError) as err:
        normalize_routes([route])
    assert fragment in str(err.value)


@pytest.mark.parametrize("value", [None, "ns1", "/proc/1/ns/net", "/run/docker/netns/abc"])
def test_valid_netns(value):
    assert validate_netns(value) == value


@pytest.mark.parametrize("value", ["", "a/b", "..", ".", "/run/netns/../x", "a b"])
def test_invalid_netns(value):
    with pytest.raises(MacvlanError):
        validate_netns(value)


def test_describe_netns():
    assert describe_netns(None) == "the current namespace"
    assert describe_netns("c1") == "namespace 'c1'"
    assert describe_netns("/proc/1/ns/net") == "namespace file /proc/1/ns/net"


def test_stable_mac_is_deterministic_local_unicast_and_distinct():
    mac = stable_mac("seed", "c1", "eth0")
    assert mac == stable_mac("seed", "c1", "eth0")
    first = int(mac[:2], 16)
    assert first & 0x02 and not first & 0x01
    others = {stable_mac("seed", ns, name) for ns in ("", "c1", "c2") for name in ("eth0", "eth1")}
    assert len(others) == 6
    assert stable_mac("other-seed", "c1", "eth0") != mac
