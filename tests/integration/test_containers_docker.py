"""Docker containers as targets, against a real dockerd confined to lab host h1 (one engine for the file).

macvlan_netns with `container:` (a --network none container's only NIC, a second NIC for a container on a
Docker macvlan network, the same MAC after re-creation, the engine's own endpoint refused, every error),
and macvlan_info naming containers. Verified independently: iproute2 inside the container's namespace,
`docker exec ... ping` and pings from the lab's LAN peers.
"""

from __future__ import annotations

import pytest

from engine_fixtures import RolePlays, Views, docker_lab  # noqa: F401  pylint: disable=unused-import

MODULE = "macvlan_netns"
NETWORK = "lan"
# seed 004's network, on the lab's LAN: containers get .192-.222, the host's shim keeps .223 (--aux-address).
NETWORK_ARGS = ["-d", "macvlan", "--subnet", "10.78.0.0/24", "--gateway", "10.78.0.254", "--ip-range", "10.78.0.192/27",
                "--aux-address", "host=10.78.0.223", "-o", "parent=eth0"]


@pytest.fixture(scope="module")
def dlab(docker_lab):  # noqa: F811  pylint: disable=redefined-outer-name
    engine = docker_lab.engine
    engine.cli("network", "create", *NETWORK_ARGS, NETWORK)
    engine.run("web", "--network", NETWORK)
    engine.run("solo", "--network", "none")
    return docker_lab


def nic_args(dlab, container: str, name: str, address: str, **extra) -> dict:
    args = {"name": name, "container": container, "parent_netns": dlab.h1, "addresses": [address]}
    args.update(extra)
    return args


def test_network_none_container_gets_its_only_nic_on_the_default_route_parent(dlab):
    """No parent given: the link goes on h1's default-route interface (eth0), named in check mode too."""
    views = Views(dlab)
    args = nic_args(dlab, "solo", "eth0", "10.78.0.50/24", routes=[{"dst": "default", "gateway": "10.78.0.254"}])
    predicted = dlab.modules.ok(MODULE, args, check=True)
    assert predicted["link"]["parent"] == "eth0"
    applied = dlab.modules.four_steps(MODULE, args, views, ["container:solo", dlab.h1])
    assert applied["link"]["parent"] == "eth0"
    assert applied["container"]["name"] == "solo" and applied["container"]["engine"] == "docker"
    assert applied["netns"] == f"/proc/{dlab.engine.pid('solo')}/ns/net"
    link = views.container_links("solo")["eth0"]
    assert link["linkinfo"]["info_kind"] == "macvlan" and link["linkinfo"]["info_data"]["mode"] == "bridge"
    assert views.container_addrs("solo", "eth0") == ["10.78.0.50/24"]
    assert [r["gateway"] for r in views.container_routes("solo") if r["dst"] == "default"] == ["10.78.0.254"]
    assert dlab.engine.ping("solo", "10.78.0.254"), "the container does not reach the LAN router"
    assert dlab.lab.ping(dlab.lan, "10.78.0.50"), "the LAN does not reach the container"


def test_second_nic_for_a_container_on_a_docker_macvlan_network(dlab):
    """What pipework does: eth1 on h1's other segment, next to the engine's own eth0 (left untouched)."""
    views = Views(dlab)
    endpoint_before = views.container_links("web")["eth0"]
    args = nic_args(dlab, "web", "eth1", "10.79.0.10/24", parent="eth1")
    dlab.modules.four_steps(MODULE, args, views, ["container:web", dlab.h1])
    links = views.container_links("web")
    assert links["eth1"]["linkinfo"]["info_kind"] == "macvlan"
    assert views.container_addrs("web", "eth1") == ["10.79.0.10/24"]
    assert links["eth0"]["address"] == endpoint_before["address"] and links["eth0"]["ifindex"] == endpoint_before["ifindex"]
    assert dlab.engine.ping("web", "10.79.0.254"), "the second NIC does not reach its segment"
    web_ip = dlab.engine.network_inspect(NETWORK)["Containers"]
    first = next(iter(web_ip.values()))["IPv4Address"].split("/")[0]
    assert dlab.lab.ping(dlab.lan, first), "the engine's own NIC stopped working"


@pytest.mark.parametrize("state", ["present", "absent"])
def test_engine_endpoint_is_never_changed_or_deleted(dlab, state):
    views = Views(dlab)
    before = views.snapshot("container:web")
    args = nic_args(dlab, "web", "eth0", "10.78.0.60/24", parent="eth0", state=state)
    result = dlab.modules.fails(MODULE, args)
    assert "is the endpoint of Docker network 'lan'" in result["msg"]
    assert "container 'web' (Docker" in result["msg"]
    assert views.snapshot("container:web") == before


def test_recreated_container_gets_the_same_mac(dlab):
    """The stable MAC comes from the container's name: a new namespace and PID, the same MAC (and DHCP lease)."""
    engine = dlab.engine
    engine.run("phoenix", "--network", "none")
    args = nic_args(dlab, "phoenix", "eth0", "10.78.0.70/24", parent="eth0")
    first = dlab.modules.ok(MODULE, args)
    old_pid = engine.pid("phoenix")
    engine.cli("rm", "-f", "phoenix")
    engine.run("phoenix", "--network", "none")
    assert engine.pid("phoenix") != old_pid
    second = dlab.modules.ok(MODULE, args)
    assert second["changed"] is True
    assert second["link"]["mac_address"] == first["link"]["mac_address"]
    assert Views(dlab).container_links("phoenix")["eth0"]["address"] == first["link"]["mac_address"]
    engine.cli("rm", "-f", "phoenix")


def test_errors_name_the_container_and_the_engine(dlab):
    engine = dlab.engine
    base = {"name": "eth0", "parent": "eth0", "parent_netns": dlab.h1}
    msg = dlab.modules.fails(MODULE, dict(base, container="ghost"))["msg"]
    assert "container=ghost: no such container" in msg and "Docker does not know it" in msg
    msg = dlab.modules.fails(MODULE, dict(base, container="ghost", container_engine="docker"))["msg"]
    assert msg.startswith("container=ghost: Docker does not know it")

    engine.cli("create", "--name", "sleeper", "--network", "none", "lab/busybox", "sleep", "60")
    msg = dlab.modules.fails(MODULE, dict(base, container="sleeper"))["msg"]
    assert msg == "container=sleeper: container 'sleeper' (Docker) is not running, so it has no network namespace; start it first"
    engine.cli("rm", "-f", "sleeper")

    from modrun import ModuleRunner  # pylint: disable=import-outside-toplevel
    unreachable = ModuleRunner(env=dict(engine.env(), DOCKER_HOST="unix:///nonexistent/lmve-docker.sock"))
    msg = unreachable.fails(MODULE, dict(base, container="web", container_engine="docker"))["msg"]
    assert msg.startswith("container=web: Docker cannot be reached (") and "DOCKER_HOST" in msg

    missing = ModuleRunner(env=dict(engine.env(), PATH="/nonexistent"))
    msg = missing.fails(MODULE, dict(base, container="web", container_engine="docker"))["msg"]
    assert msg == "container=web: Docker is not installed (no 'docker' command on PATH)"
    msg = missing.fails(MODULE, dict(base, container="web"))["msg"]
    assert msg.startswith("container=web: no container engine could be asked (Docker is not installed")

    msg = dlab.modules.fails(MODULE, dict(base, container="web", create_netns=True))["msg"]
    assert "create_netns: only a named namespace can be created" in msg


def test_macvlan_info_names_containers(dlab):
    """Docker's namespaces are not under /run/netns: all_netns finds them by process, and names the container."""
    engine = dlab.engine
    web_id = engine.cli("inspect", "--format", "{{.Id}}", "web").stdout.strip()
    info = dlab.modules.ok("macvlan_info", {"all_netns": True})
    web_links = {l["name"]: l for l in info["links"] if (l.get("container") or {}).get("name") == "web"}
    assert set(web_links) == {"eth0", "eth1"}, info["links"]
    assert web_links["eth0"]["container"] == {"name": "web", "id": web_id, "engine": "docker"}
    assert web_links["eth0"]["parent"] == "eth0" and web_links["eth0"]["parent_netns"] == dlab.h1
    assert web_links["eth0"]["netns"] == f"/proc/{engine.pid('web')}/ns/net"

    one = dlab.modules.ok("macvlan_info", {"container": "web"})
    assert sorted(l["name"] for l in one["links"]) == ["eth0", "eth1"]
    assert all(l["container"]["name"] == "web" for l in one["links"])
    assert dlab.modules.fails("macvlan_info", {"container": "ghost"})["msg"].startswith("container=ghost: no such container")


# ---- host_shim derived from the engine's network --------------------------------------------------

def container_ip(engine, name: str, network: str, key: str = "IPAddress") -> str:
    fmt = "{{(index .NetworkSettings.Networks \"%s\").%s}}" % (network, key)
    return engine.cli("inspect", "--format", fmt, name).stdout.strip()


def test_role_derives_the_shim_from_a_network_with_ip_range_and_aux_address(dlab, staged, tmp_path):
    """seed 004's network: route = --ip-range, shim address = --aux-address, parent = -o parent."""
    plays = RolePlays(dlab, staged, tmp_path)
    web_ip = container_ip(dlab.engine, "web", NETWORK)
    assert not dlab.lab.ping(dlab.h1, web_ip, tries=1), "the host reaches its container before the shim"
    plays.four_steps(host_shim_container_network=NETWORK)
    assert plays.shim() == {"parent": "eth0", "mode": "bridge", "addresses": ["10.78.0.223/32"], "routes": ["10.78.0.192/27"]}
    assert dlab.lab.ping(dlab.h1, web_ip), "host -> container through the derived shim"
    assert dlab.engine.ping("web", "10.78.0.223"), "container -> host shim"
    assert dlab.lab.ping(dlab.h1, "10.78.0.254"), "the host lost its LAN"
    plays.play(host_shim_container_network=NETWORK, host_shim_state="absent")
    assert plays.shim() == {}


def test_role_derives_host_routes_for_a_dual_stack_network_without_ip_range(dlab, staged, tmp_path):
    """No --ip-range: one /32 and /128 per running container, refreshed by each run; v4 and v6 aux addresses."""
    engine = dlab.engine
    dlab.lab.run(dlab.h1, "ip", "link", "add", "eth2", "type", "veth", "peer", "name", "eth2p")
    for dev in ("eth2", "eth2p"):
        dlab.lab.run(dlab.h1, "ip", "link", "set", dev, "up")
    engine.cli("network", "create", "-d", "macvlan", "--ipv6", "--subnet", "10.81.0.0/24", "--gateway", "10.81.0.254",
               "--subnet", "fd00:81::/64", "--gateway", "fd00:81::fe", "--aux-address", "host=10.81.0.250",
               "--aux-address", "host6=fd00:81::250", "-o", "parent=eth2", "dual")
    engine.run("d1", "--network", "dual", "--ip", "10.81.0.21", "--ip6", "fd00:81::21")
    plays = RolePlays(dlab, staged, tmp_path)
    variables = {"host_shim_container_network": "dual", "host_shim_name": "shim-dual"}
    plays.four_steps(**variables)
    assert plays.shim("shim-dual") == {"parent": "eth2", "mode": "bridge", "addresses": ["10.81.0.250/32", "fd00:81::250/128"],
                                       "routes": ["10.81.0.21", "fd00:81::21"]}  # host routes, as iproute2 prints them
    assert dlab.lab.ping(dlab.h1, "10.81.0.21") and dlab.lab.ping(dlab.h1, "fd00:81::21")
    engine.run("d2", "--network", "dual", "--ip", "10.81.0.22", "--ip6", "fd00:81::22")
    assert plays.play(**variables)["changed"] > 0
    assert plays.shim("shim-dual")["routes"] == ["10.81.0.21", "10.81.0.22", "fd00:81::21", "fd00:81::22"]
    assert dlab.lab.ping(dlab.h1, "10.81.0.22") and dlab.engine.ping("d2", "10.81.0.250")


@pytest.mark.parametrize("variables, message", [
    ({"host_shim_addresses": ["10.78.0.200/32"]},
     "host_shim_addresses: 10.78.0.200/32 lies inside 10.78.0.192/27, which Docker network 'lan' hands out to containers, "
     "and is not reserved"),
    ({"host_shim_parent": "eth1"}, "host_shim_parent=eth1: Docker network 'lan' sits on eth0"),
    ({"host_shim_container_network": "ghostnet"}, "host_shim_container_network=ghostnet: no such network"),
    ({"host_shim_container_network": "plain"}, "Docker network 'plain' is a bridge network, not a macvlan network"),
    ({"host_shim_container_network": "secret"}, "Docker network 'secret' is in private mode"),
])
def test_role_refuses_what_the_network_cannot_support(dlab, staged, tmp_path, variables, message):
    engine = dlab.engine
    if variables.get("host_shim_container_network") == "plain" and "plain" not in engine.cli("network", "ls").stdout:
        engine.cli("network", "create", "-d", "bridge", "-o", "com.docker.network.bridge.name=lmvebr0", "plain")
    if variables.get("host_shim_container_network") == "secret" and "secret" not in engine.cli("network", "ls").stdout:
        dlab.lab.run(dlab.h1, "ip", "link", "add", "eth3", "type", "veth", "peer", "name", "eth3p")
        engine.cli("network", "create", "-d", "macvlan", "--subnet", "10.82.0.0/24", "-o", "parent=eth3",
                   "-o", "macvlan_mode=private", "secret")
    plays = RolePlays(dlab, staged, tmp_path)
    out = plays.play(expect_failure=True, **dict({"host_shim_container_network": NETWORK}, **variables))["out"]
    assert message in " ".join(out.split()), out[-3000:]
    assert "Traceback" not in out
    assert plays.shim() == {}


def test_macvlan_links_accepts_container_entries(dlab):
    """macvlan_links: a config entry may name a container (issue 16), through the same planner."""
    engine = dlab.engine
    engine.run("bulk", "--network", "none")
    views = Views(dlab)
    args = {"config": [{"name": "eth0", "container": "bulk", "parent": "eth0", "parent_netns": dlab.h1,
                        "addresses": ["10.78.0.80/24"]},
                       {"name": "eth1", "container": "bulk", "parent": "eth1", "parent_netns": dlab.h1,
                        "addresses": ["10.79.0.80/24"]}]}
    dlab.modules.four_steps("macvlan_links", args, views, ["container:bulk", dlab.h1])
    assert views.container_addrs("bulk", "eth0") == ["10.78.0.80/24"]
    assert engine.ping("bulk", "10.78.0.254") and engine.ping("bulk", "10.79.0.254")
    single = dlab.modules.ok(MODULE, nic_args(dlab, "bulk", "eth0", "10.78.0.80/24", parent="eth0"))
    assert single["changed"] is False, "macvlan_netns and macvlan_links derive the same MAC for a container"
    msg = dlab.modules.fails("macvlan_links", {"config": [{"name": "eth0", "container": "web", "parent": "eth0",
                                                           "parent_netns": dlab.h1, "addresses": ["10.78.0.81/24"]}]})["msg"]
    assert "is the endpoint of Docker network 'lan'" in msg
