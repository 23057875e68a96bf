"""Pure parts of the container support: the engines' JSON, the choice of engine, the derived shim,
and the planner's refusal of an engine's own endpoint (no engine, no kernel)."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._containers import engines as _containers
from ansible_collections.linuxnet.macvlan.plugins.module_utils._containers.networks import (
    EngineNetwork,
    Subnet,
    derive_shim,
    lease_cidr,
    parse_docker_network,
    parse_podman_network,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_options import container_identity
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes

DOCKER_CONTAINER = {
    "Id": "aa81" * 16, "Name": "/web", "State": {"Running": True, "Pid": 4242},
    "NetworkSettings": {"Networks": {"lan": {"MacAddress": "02:42:0A:C7:00:C0", "IPAddress": "10.199.0.192", "IPPrefixLen": 24}}},
}
DOCKER_NETWORK = {
    "Name": "lan", "Driver": "macvlan", "Options": {"parent": "eth0"},
    "IPAM": {"Config": [{"Subnet": "10.199.0.0/24", "IPRange": "10.199.0.192/27", "Gateway": "10.199.0.1",
                         "AuxiliaryAddresses": {"host": "10.199.0.223"}}]},
    "Containers": {"x": {"Name": "c1", "IPv4Address": "10.199.0.192/24", "IPv6Address": ""}},
}


def test_docker_container_parsed():
    c = _containers.parse_container("docker", DOCKER_CONTAINER)
    assert (c.name, c.pid, c.running, c.netns) == ("web", 4242, True, "/proc/4242/ns/net")
    assert c.owned_macs() == (("02:42:0a:c7:00:c0", "Docker network 'lan'"),)
    assert c.endpoints[0].addresses == ("10.199.0.192/24",)
    assert c.result() == {"name": "web", "id": "aa81" * 16, "engine": "docker"}


def fake_engines(monkeypatch, answers: dict):
    """answers: engine -> a Container, or an exception class to raise."""
    def inspect(engine, ref):
        answer = answers[engine]
        if isinstance(answer, type):
            raise answer(f"container={ref}: {engine} says no")
        return answer
    monkeypatch.setattr(_containers, "inspect_container", inspect)


def test_auto_uses_the_engine_that_knows_the_container(monkeypatch):
    web = _containers.parse_container("podman", dict(DOCKER_CONTAINER, Name="web"))
    fake_engines(monkeypatch, {"docker": _containers.NotKnown, "podman": web})
    assert _containers.find_container("web").engine == "podman"


def test_both_engines_knowing_the_name_is_an_error(monkeypatch):
    fake_engines(monkeypatch, {"docker": _containers.parse_container("docker", DOCKER_CONTAINER),
                               "podman": _containers.parse_container("podman", DOCKER_CONTAINER)})
    with pytest.raises(MacvlanError, match=r"container=web: both Docker \(id aa81aa81aa81\) and Podman .* set container_engine"):
        _containers.find_container("web")


def test_no_engine_reachable_and_not_running(monkeypatch):
    fake_engines(monkeypatch, {"docker": _containers.EngineUnavailable, "podman": _containers.EngineUnavailable})
    with pytest.raises(_containers.EngineUnavailable, match="container=web: no container engine could be asked"):
        _containers.find_container("web")
    stopped = _containers.parse_container("docker", dict(DOCKER_CONTAINER, State={"Running": False, "Pid": 0}))
    fake_engines(monkeypatch, {"docker": stopped, "podman": _containers.NotKnown})
    with pytest.raises(MacvlanError, match=r"container 'web' \(Docker\) is not running"):
        _containers.find_container("web")


@pytest.mark.parametrize("ref", ["", "-rm", "a b"])
def test_container_reference_validated(ref):
    with pytest.raises(MacvlanError, match="container="):
        _containers.find_container(ref)


def test_endpoint_refused_by_the_planner():
    desired = DesiredLink(name="eth0", netns="/proc/1/ns/net", where="container 'web' (Docker)", parent="eth0",
                          engine_owned=(("02:42:0a:c7:00:c0", "Docker network 'lan'"),))
    observed = ObservedLink(name="eth0", ifindex=5, kind="macvlan", mac_address="02:42:0A:C7:00:C0")
    for state in ("present", "absent"):
        with pytest.raises(MacvlanError, match="is the endpoint of Docker network 'lan'"):
            plan_link_changes(dataclasses.replace(desired, state=state), observed, None)


def test_container_identity_is_the_name_and_never_a_namespace_name():
    assert container_identity("web") == "container/web"


def test_shim_from_seed_network():
    shim = derive_shim(parse_docker_network(DOCKER_NETWORK))
    assert shim == {"parent": "eth0", "routes": ["10.199.0.192/27"], "addresses": ["10.199.0.223/32"], "warnings": []}


def test_shim_without_ip_range_routes_each_container_dual_stack():
    net = EngineNetwork("n", "docker", "macvlan", "eth0", "bridge",
                        [Subnet("10.0.0.0/24", aux_addresses=("10.0.0.250",)), Subnet("fd00::/64", aux_addresses=("fd00::fa",))],
                        [{"name": "a", "addresses": ["10.0.0.5/24", "fd00::5/64"]}, {"name": "b", "addresses": ["10.0.0.6/24"]}])
    shim = derive_shim(net)
    assert shim["routes"] == ["10.0.0.5/32", "10.0.0.6/32", "fd00::5/128"]
    assert shim["addresses"] == ["10.0.0.250/32", "fd00::fa/128"]


@pytest.mark.parametrize("change, message", [
    ({"driver": "bridge"}, "is a bridge network, not a macvlan network"),
    ({"mode": "private"}, "is in private mode"),
    ({"parent": None}, "names no parent interface"),
])
def test_shim_refusals(change, message):
    net = parse_docker_network(DOCKER_NETWORK)
    for key, value in change.items():
        setattr(net, key, value)
    with pytest.raises(MacvlanError, match=message):
        derive_shim(net)


def test_shim_address_the_engine_may_hand_out_is_refused():
    net = parse_docker_network(DOCKER_NETWORK)
    with pytest.raises(MacvlanError, match=r"10.199.0.200/32 lies inside 10.199.0.192/27, which Docker network 'lan' hands out"):
        derive_shim(net, ["10.199.0.200/32"])
    assert derive_shim(net, ["10.199.0.50/32"])["addresses"] == ["10.199.0.50/32"]
    with pytest.raises(MacvlanError, match="host_shim_parent=eth1: Docker network 'lan' sits on eth0"):
        derive_shim(net, parent="eth1")


def test_vepa_network_warns():
    net = parse_docker_network(dict(DOCKER_NETWORK, Options={"parent": "eth0", "macvlan_mode": "vepa"}))
    assert "vepa mode" in derive_shim(net)["warnings"][0]


def test_podman_lease_range():
    net = parse_podman_network({"name": "p", "driver": "macvlan", "network_interface": "eth0",
                                "subnets": [{"subnet": "10.1.0.0/24", "gateway": "10.1.0.1",
                                             "lease_range": {"start_ip": "10.1.0.193", "end_ip": "10.1.0.223"}}]}, [])
    assert lease_cidr(net.subnets[0]) == "10.1.0.192/27"
    with pytest.raises(MacvlanError, match="reserves no auxiliary address"):
        derive_shim(net)
    with pytest.raises(MacvlanError, match="10.1.0.223/32 lies inside 10.1.0.193-10.1.0.223, which Podman network 'p'"):
        derive_shim(net, ["10.1.0.223/32"])
    assert derive_shim(net, ["10.1.0.190/32"])["routes"] == ["10.1.0.192/27"]
