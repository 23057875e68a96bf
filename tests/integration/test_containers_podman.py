"""Podman containers as targets and Podman networks for the shim, against a real rootful podman confined to
lab host h1 (one engine for the file). Verified with iproute2 in the container's namespace, `podman exec ...
ping` and pings from the lab's hosts.
"""

from __future__ import annotations

import pytest

from engine_fixtures import RolePlays, Views, podman_lab  # noqa: F401  pylint: disable=unused-import

MODULE = "macvlan_netns"
NETWORK = "plan"
# Podman 4.3 has no --aux-address; its lease range for --ip-range 10.78.0.192/27 is .193-.223 (the last one included).
NETWORK_ARGS = ["-d", "macvlan", "--subnet", "10.78.0.0/24", "--gateway", "10.78.0.254", "--ip-range", "10.78.0.192/27",
                "-o", "parent=eth0"]


@pytest.fixture(scope="module")
def plab(podman_lab):  # noqa: F811  pylint: disable=redefined-outer-name
    engine = podman_lab.engine
    engine.cli("network", "create", *NETWORK_ARGS, NETWORK)
    engine.run("pweb", "--network", NETWORK)
    engine.run("psolo", "--network", "none")
    return podman_lab


def test_network_none_podman_container_gets_its_only_nic(plab):
    views = Views(plab)
    args = {"name": "eth0", "container": "psolo", "container_engine": "podman", "parent": "eth0", "parent_netns": plab.h1,
            "addresses": ["10.78.0.51/24"], "routes": [{"dst": "default", "gateway": "10.78.0.254"}]}
    applied = plab.modules.four_steps(MODULE, args, views, ["container:psolo", plab.h1])
    assert applied["container"]["engine"] == "podman" and applied["container"]["name"] == "psolo"
    assert views.container_addrs("psolo", "eth0") == ["10.78.0.51/24"]
    assert plab.engine.ping("psolo", "10.78.0.254") and plab.lab.ping(plab.lan, "10.78.0.51")


def test_podman_endpoint_is_refused_and_auto_finds_podman(plab):
    views = Views(plab)
    before = views.snapshot("container:pweb")
    msg = plab.modules.fails(MODULE, {"name": "eth0", "container": "pweb", "parent": "eth0", "parent_netns": plab.h1,
                                      "addresses": ["10.78.0.61/24"]})["msg"]
    assert "is the endpoint of Podman network 'plan'" in msg and "container 'pweb' (Podman" in msg
    assert views.snapshot("container:pweb") == before
    msg = plab.modules.fails(MODULE, {"name": "eth1", "container": "ghost", "container_engine": "podman", "parent": "eth0",
                                      "parent_netns": plab.h1})["msg"]
    assert msg.startswith("container=ghost: Podman does not know it")


def test_macvlan_info_names_podman_containers(plab):
    info = plab.modules.ok("macvlan_info", {"all_netns": True})
    named = {(l["container"]["name"], l["name"]) for l in info["links"] if l.get("container")}
    assert {("pweb", "eth0"), ("psolo", "eth0")} <= named, info["links"]
    assert all(l["container"]["engine"] == "podman" for l in info["links"] if l.get("container"))


def test_role_with_a_podman_network_needs_an_address_outside_the_lease_range(plab, staged, tmp_path):
    plays = RolePlays(plab, staged, tmp_path)
    variables = {"host_shim_container_network": NETWORK}
    out = plays.play(expect_failure=True, **variables)["out"]
    assert "Podman network 'plan' reserves no auxiliary address for the host" in " ".join(out.split())
    out = plays.play(expect_failure=True, host_shim_addresses=["10.78.0.223/32"], **variables)["out"]
    assert ("host_shim_addresses: 10.78.0.223/32 lies inside 10.78.0.193-10.78.0.223, which Podman network 'plan' hands out"
            in " ".join(out.split())), out[-3000:]
    assert plays.shim() == {}

    plays.four_steps(host_shim_addresses=["10.78.0.190/32"], **variables)
    assert plays.shim() == {"parent": "eth0", "mode": "bridge", "addresses": ["10.78.0.190/32"], "routes": ["10.78.0.192/27"]}
    pweb = plab.engine.cli("inspect", "--format", "{{(index .NetworkSettings.Networks \"plan\").IPAddress}}", "pweb").stdout.strip()
    assert plab.lab.ping(plab.h1, pweb), "host -> podman container through the derived shim"
    assert plab.engine.ping("pweb", "10.78.0.190"), "podman container -> host shim"
