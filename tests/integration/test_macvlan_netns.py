"""macvlan_netns against a real kernel: containers (namespaces) get macvlans on a parent
that lives in a lab host namespace. Verification is independent: iproute2, nsenter, ping."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.stable_mac import read_machine_id, stable_mac
from lab import sh

MODULE = "macvlan_netns"


def lower_of(lab, ns: str, ifname: str) -> tuple[str | None, int]:
    """(namespace name, ifindex) of a link's lower device, as iproute2 reports it."""
    link = lab.link(ns, ifname)
    nsid = link.get("link_netnsid")
    if nsid is None:
        return ns, link["link_index"]
    ids = sh("ip", "-n", ns, "netns", "list-id").stdout
    match = re.search(rf"nsid {nsid} \(iproute2 netns name: (\S+)\)", ids)
    return (match.group(1) if match else None), link["link_index"]


def eth0_index(lab, ns: str) -> int:
    return lab.link(ns, "eth0")["ifindex"]


def names(lab, ns: str) -> list[str]:
    return sorted(link["ifname"] for link in lab.links(ns))


@pytest.fixture
def seed_lab(host_lab):
    """host_lab plus containers c1, c2; h1's eth0 is the parent."""
    host_lab.add_container("c1")
    host_lab.add_container("c2")
    return host_lab


def place(lab, container: str, address: str, **extra) -> dict:
    args = {
        "name": "eth0",
        "netns": lab.ns(container),
        "parent": "eth0",
        "parent_netns": lab.ns("h1"),
        "mode": "bridge",
        "addresses": [address],
    }
    args.update(extra)
    return args


# ---- the seed workflow -----------------------------------------------------------------


def test_seed_workflow_two_containers_talk_to_each_other_the_lan_and_through_a_gateway(lab, modules):
    lab.add_switch()
    h1 = lab.add_host("h1")  # the parent's host: no address needed, it only carries the macvlans
    lan = lab.add_host("lan", "192.168.8.254/24")
    gw = lab.add_host("gw", "192.168.8.1/24")
    lab.run(gw, "ip", "addr", "add", "198.51.100.1/32", "dev", "lo")  # "the internet", behind the gateway
    c1, c2 = lab.add_container("c1"), lab.add_container("c2")
    route = [{"dst": "default", "gateway": "192.168.8.1"}]

    first = modules.four_steps(MODULE, place(lab, "c1", "192.168.8.120/24", routes=route), lab, [h1, c1])
    second = modules.four_steps(MODULE, place(lab, "c2", "192.168.8.121/24", routes=route), lab, [h1, c2])

    assert first["netns"] == c1 and first["parent_netns"] == h1
    assert first["link"]["parent"] == "eth0" and first["link"]["netns"] == c1
    for ns, address, result in ((c1, "192.168.8.120/24", first), (c2, "192.168.8.121/24", second)):
        link = lab.link(ns, "eth0")
        assert link["linkinfo"]["info_kind"] == "macvlan"
        assert link["linkinfo"]["info_data"]["mode"] == "bridge"
        assert "UP" in link["flags"]
        assert link["address"] == result["link"]["mac_address"]
        assert lower_of(lab, ns, "eth0") == (h1, eth0_index(lab, h1))
        assert lab.addrs(ns, "eth0") == [address]
        assert [r["gateway"] for r in lab.routes(ns, "eth0") if r["dst"] == "default"] == ["192.168.8.1"]
    # Stable MACs include the namespace: the same name in two containers gets two MACs.
    assert lab.link(c1, "eth0")["address"] != lab.link(c2, "eth0")["address"]
    assert first["link"]["mac_address"] == stable_mac(read_machine_id(), c1, "eth0")
    # No temporary link was ever left next to the parent.
    assert names(lab, h1) == ["eth0", "lo"]

    assert lab.ping(c1, "192.168.8.121")
    assert lab.ping(c2, "192.168.8.120")
    assert lab.ping(c1, "192.168.8.254")
    assert lab.ping(lan, "192.168.8.121")
    assert lab.ping(c1, "198.51.100.1"), "the default route via the gateway namespace does not work"
    assert not lab.ping(c1, "192.168.8.99", tries=1)


def test_create_netns_creates_a_named_namespace_and_check_mode_does_not(seed_lab, modules):
    lab = seed_lab
    new = lab.ns("new")
    lab.namespaces.append(new)  # the lab removes it, whatever happens
    args = place(lab, "new", "10.77.0.40/24", netns=new, create_netns=True)
    predicted = modules.ok(MODULE, args, check=True)
    assert predicted["changed"] is True and predicted["link"]["addresses"] == ["10.77.0.40/24"]
    assert not os.path.exists(f"/run/netns/{new}")
    modules.four_steps(MODULE, args, lab, [lab.ns("h1")])
    assert lab.addrs(new, "eth0") == ["10.77.0.40/24"]
    assert lab.ping(new, "10.77.0.254")


def test_a_failing_step_leaves_no_link_and_no_namespace_behind(seed_lab, modules):
    lab = seed_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    before = {ns: lab.snapshot(ns) for ns in (h1, c1)}
    # The gateway is not on the link's subnet: the kernel refuses the route after the link exists.
    bad = place(lab, "c1", "10.77.0.21/24", routes=[{"dst": "default", "gateway": "10.99.0.1"}])
    result = modules.fails(MODULE, bad)
    assert "route" in result["msg"] and c1 in result["msg"]
    assert {ns: lab.snapshot(ns) for ns in (h1, c1)} == before

    new = lab.ns("new")
    lab.namespaces.append(new)
    result = modules.fails(MODULE, dict(bad, netns=new, create_netns=True))
    assert not os.path.exists(f"/run/netns/{new}"), "the namespace created for the failed link was left behind"
    assert lab.snapshot(h1) == before[h1]


# ---- pid targets -----------------------------------------------------------------------


def _own_netns_process() -> subprocess.Popen:
    proc = subprocess.Popen(["unshare", "-n", "sleep", "300"])
    mine = os.stat("/proc/self/ns/net").st_ino
    for _attempt in range(100):
        try:
            if os.stat(f"/proc/{proc.pid}/ns/net").st_ino != mine:
                return proc
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("unshare -n did not give the process its own namespace")


def _in_pid_ns(pid: int, *cmd: str) -> subprocess.CompletedProcess:
    return sh("nsenter", f"--net=/proc/{pid}/ns/net", *cmd)


def _pid_links(pid: int) -> dict:
    return {link["ifname"]: link for link in json.loads(_in_pid_ns(pid, "ip", "-d", "-j", "link", "show").stdout)}


def test_pid_target_gets_a_link_and_loses_it_cleanly(host_lab, modules):
    lab = host_lab
    h1 = lab.ns("h1")
    proc = _own_netns_process()
    try:
        args = {
            "name": "eth0",
            "pid": proc.pid,
            "parent": "eth0",
            "parent_netns": h1,
            "addresses": ["10.77.0.30/24"],
        }
        before = _pid_links(proc.pid)
        predicted = modules.ok(MODULE, args, check=True)
        assert predicted["changed"] is True and _pid_links(proc.pid) == before
        applied = modules.four_steps(MODULE, args, lab, [h1])
        assert applied["netns"] == f"/proc/{proc.pid}/ns/net"
        link = _pid_links(proc.pid)["eth0"]
        assert link["linkinfo"]["info_kind"] == "macvlan" and link["link_index"] == eth0_index(lab, h1)
        # No stable identity for a pid: the first address stands in for it.
        assert link["address"] == stable_mac(read_machine_id(), "10.77.0.30/24", "eth0")
        addrs = json.loads(_in_pid_ns(proc.pid, "ip", "-j", "addr", "show", "dev", "eth0").stdout)[0]["addr_info"]
        assert [f"{a['local']}/{a['prefixlen']}" for a in addrs if a["scope"] == "global"] == ["10.77.0.30/24"]
        ping = _in_pid_ns(proc.pid, "ping", "-c", "1", "-W", "1", "10.77.0.254")
        assert ping.returncode == 0

        # Without addresses there is no stable identity: random MAC, with a warning.
        extra = modules.ok(MODULE, {"name": "eth1", "pid": proc.pid, "parent": "eth0", "parent_netns": h1})
        assert extra["changed"] is True
        assert "random MAC" in json.dumps(extra.get("warnings")), extra.get("warnings")

        for name in ("eth0", "eth1"):
            gone = modules.four_steps(MODULE, {"name": name, "pid": proc.pid, "state": "absent"}, lab, [h1])
            assert gone["link"] == {}
        assert sorted(_pid_links(proc.pid)) == ["lo"]
        assert names(lab, h1) == ["eth0", "lo"]
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_that_does_not_exist_is_refused(host_lab, modules):
    proc = subprocess.Popen(["true"])
    proc.wait()
    result = modules.fails(MODULE, {"name": "eth0", "pid": proc.pid, "parent": "eth0", "parent_netns": host_lab.ns("h1")})
    assert f"pid={proc.pid}" in result["msg"] and "no such process" in result["msg"]


# ---- ownership ------------------------------------------------------------------------


def test_a_veth_named_eth0_in_the_target_is_refused_and_left_intact(seed_lab, modules):
    lab = seed_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    lab.run(c1, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
    lab.run(c1, "ip", "addr", "add", "10.88.0.2/24", "dev", "eth0")
    before = {ns: lab.snapshot(ns) for ns in (h1, c1)}
    for args in (
        place(lab, "c1", "10.77.0.21/24"),
        place(lab, "c1", "10.77.0.21/24", recreate="always"),
        {"name": "eth0", "netns": c1, "state": "absent"},
    ):
        result = modules.fails(MODULE, args)
        assert "veth" in result["msg"] and c1 in result["msg"] and "refusing" in result["msg"]
        assert {ns: lab.snapshot(ns) for ns in (h1, c1)} == before
    assert lab.link(c1, "eth0")["linkinfo"]["info_kind"] == "veth"
    assert lab.addrs(c1, "eth0") == ["10.88.0.2/24"]


def test_a_macvlan_on_another_parent_is_refused_unless_recreate_allows(seed_lab, modules):
    lab = seed_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    h2 = lab.add_host("h2")
    modules.ok(MODULE, place(lab, "c1", "10.77.0.21/24", parent_netns=h2))
    assert lower_of(lab, c1, "eth0") == (h2, eth0_index(lab, h2))
    before = {ns: lab.snapshot(ns) for ns in (h1, h2, c1)}

    result = modules.fails(MODULE, place(lab, "c1", "10.77.0.21/24"))
    assert "another" in result["msg"] or h2 in result["msg"]
    assert "recreate" in result["msg"] and c1 in result["msg"]
    assert {ns: lab.snapshot(ns) for ns in (h1, h2, c1)} == before

    moved = modules.four_steps(MODULE, place(lab, "c1", "10.77.0.21/24", recreate="options-changed"), lab, [h1, c1])
    assert moved["recreated"] is True and moved["recreate_reasons"]
    assert lower_of(lab, c1, "eth0") == (h1, eth0_index(lab, h1))
    assert lab.addrs(c1, "eth0") == ["10.77.0.21/24"]
    assert lab.ping(c1, "10.77.0.254")


# ---- in-place changes, absent, check mode ----------------------------------------------


def test_mode_and_addresses_change_in_place_then_absent(seed_lab, modules):
    lab = seed_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    created = modules.four_steps(MODULE, place(lab, "c1", "10.77.0.21/24"), lab, [h1, c1])
    ifindex = lab.link(c1, "eth0")["ifindex"]
    assert created["link"]["ifindex"] == ifindex

    changed = modules.four_steps(
        MODULE, place(lab, "c1", "10.77.0.22/24", mode="vepa", addresses=["10.77.0.22/24", "fd00:77::22/64"]), lab, [h1, c1]
    )
    link = lab.link(c1, "eth0")
    assert link["ifindex"] == ifindex, "the link was re-created instead of changed in place"
    assert link["linkinfo"]["info_data"]["mode"] == "vepa"
    assert lab.addrs(c1, "eth0") == ["10.77.0.22/24", "fd00:77::22/64"]
    assert changed["diff"]["before"]["mode"] == "bridge" and changed["diff"]["after"]["mode"] == "vepa"
    assert changed["recreated"] is False

    gone = modules.four_steps(MODULE, {"name": "eth0", "netns": c1, "state": "absent"}, lab, [h1, c1])
    assert gone["link"] == {} and gone["diff"]["before"]["name"] == "eth0"
    assert lab.link(c1, "eth0") is None
    assert names(lab, h1) == ["eth0", "lo"]
    # Absent again, and absent in a namespace that does not exist: no change.
    assert modules.ok(MODULE, {"name": "eth0", "netns": c1, "state": "absent"})["changed"] is False
    assert modules.ok(MODULE, {"name": "eth0", "netns": lab.ns("nowhere"), "state": "absent"})["changed"] is False


# ---- input errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, fragment",
    [
        ({"parent": "nope0"}, "parent 'nope0' does not exist"),
        ({"netns": "{prefix}-missing"}, "create_netns"),
        ({"netns": "a/b"}, "must not contain '/'"),
        ({"netns": ".."}, "must not contain '/' or be '.' or '..'"),
        ({"netns": "/run/netns/../x"}, "must not contain '..'"),
        ({"name": "a-very-long-ifname"}, "15 bytes"),
        ({"parent_netns": "{prefix}-missing"}, "parent_netns"),
        ({"netns": "/proc/1/ns/net", "create_netns": True}, "only a named namespace"),
        ({"mtu": 20}, "mtu=20"),
    ],
)
def test_clear_errors_touch_nothing(seed_lab, modules, override, fragment):
    lab = seed_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    before = {ns: lab.snapshot(ns) for ns in (h1, c1)}
    args = place(lab, "c1", "10.77.0.21/24")
    args.update({k: v.format(prefix=lab.prefix) if isinstance(v, str) else v for k, v in override.items()})
    for check in (True, False):
        result = modules.fails(MODULE, args, check=check)
        assert fragment in result["msg"], result["msg"]
    assert {ns: lab.snapshot(ns) for ns in (h1, c1)} == before
    assert not os.path.exists(f"/run/netns/{lab.prefix}-missing")


def test_netns_and_pid_are_mutually_exclusive_and_one_is_required(seed_lab, modules):
    lab = seed_lab
    args = place(lab, "c1", "10.77.0.21/24")
    assert "mutually exclusive" in modules.fails(MODULE, dict(args, pid=1))["msg"]
    del args["netns"]
    assert "one of the following is required" in modules.fails(MODULE, args)["msg"]
