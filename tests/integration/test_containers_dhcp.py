"""DHCP inside a Docker container (issue 19, "like pipework"), against a real dockerd confined to lab host h1 and
a real DHCP server: dnsmasq in the lab's LAN namespace `lan`, in a mount namespace of its own (private /run), its
lease and pid files in the test's temporary directory. One engine for the file (engine_fixtures.docker_lab).

A `--network none` container gets its only NIC from macvlan_netns with `container:` and `dhcp: true`: the client runs
inside the container's namespace, the lease brings the default route; the re-created container (new PID, new
namespace) gets the same MAC and the same lease from a rerun, with exactly one client; absent stops the client and
releases the lease. Verified independently: dnsmasq's lease file, iproute2 in the container's namespace, `docker
exec ... ping`, /proc.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from engine_fixtures import Views, docker_lab  # noqa: F401  pylint: disable=unused-import

RANGE = ("10.78.0.100", "10.78.0.150")
ROUTER = "10.78.0.254"


@pytest.fixture
def dhcp_server(docker_lab, tmp_path):  # noqa: F811  pylint: disable=redefined-outer-name
    """dnsmasq serving 2-minute leases on the LAN, with `lan` as the router; stopped after the test."""
    leases = tmp_path / "dnsmasq.leases"
    script = ("set -e; mount -t tmpfs -o mode=755 lab-run /run; exec dnsmasq --keep-in-foreground --conf-file=/dev/null "
              f"--port=0 --interface=eth0 --bind-interfaces --dhcp-range={RANGE[0]},{RANGE[1]},255.255.255.0,2m "
              f"--dhcp-option=3,{ROUTER} --dhcp-leasefile={leases} --pid-file={tmp_path / 'dnsmasq.pid'}")
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        ["ip", "netns", "exec", docker_lab.lan, "unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "dnsmasq.log", "wb"),  # pylint: disable=consider-using-with
    )
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "dnsmasq.pid").exists():
            assert server.poll() is None, (tmp_path / "dnsmasq.log").read_text()
            assert time.monotonic() < deadline, "dnsmasq did not start"
            time.sleep(0.05)
        yield leases
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def lease_of(leases: Path, mac: str) -> list[str] | None:
    """dnsmasq's lease line for a MAC: [expiry, mac, ip, host, client-id], or None."""
    for line in leases.read_text().splitlines() if leases.exists() else []:
        fields = line.split()
        if len(fields) >= 3 and fields[1].lower() == mac.lower():
            return fields
    return None


def clients(state_dir: Path) -> list[tuple[int, int]]:
    """(pid, netns inode) of every process whose command line names the test's DHCP state directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            inode = os.stat(proc / "ns" / "net").st_ino
        except OSError:
            continue
        if str(state_dir) in cmdline:
            found.append((int(proc.name), inode))
    return found


def test_a_network_none_container_gets_its_lease_inside_its_namespace(docker_lab, dhcp_server, tmp_path):  # noqa: F811
    elab, engine = docker_lab, docker_lab.engine
    views = Views(elab)
    state_dir = tmp_path / "dhcp"
    engine.run("dh", "--network", "none")
    args = {"name": "eth0", "container": "dh", "parent": "eth0", "parent_netns": elab.h1, "dhcp": True,
            "dhcp_state_dir": str(state_dir)}
    applied = elab.modules.four_steps("macvlan_netns", args, views, ["container:dh", elab.h1])
    mac = applied["link"]["mac_address"]
    lease = lease_of(dhcp_server, mac)
    assert lease is not None and applied["dhcp"]["address"] == f"{lease[2]}/24" and applied["dhcp"]["running"]
    assert views.container_addrs("dh", "eth0") == [f"{lease[2]}/24"]
    assert [r.get("gateway") for r in views.container_routes("dh") if r["dst"] == "default"] == [ROUTER]
    # The one client runs inside the container's namespace, not h1's.
    container_ns = os.stat(f"/proc/{engine.pid('dh')}/ns/net").st_ino
    assert clients(state_dir) == [(applied["dhcp"]["pid"], container_ns)]
    assert engine.ping("dh", ROUTER), "the container does not reach the LAN through its leased address"
    assert elab.lab.ping(elab.lan, lease[2]), "the LAN does not reach the container's leased address"

    # Re-created container: a new PID and a new namespace; the rerun gives the same MAC and the same lease back.
    old_pid = engine.pid("dh")
    engine.cli("rm", "-f", "dh")
    engine.run("dh", "--network", "none")
    assert engine.pid("dh") != old_pid
    again = elab.modules.ok("macvlan_netns", args)
    assert again["changed"] and again["link"]["mac_address"] == mac
    assert again["dhcp"]["address"] == f"{lease[2]}/24" and again["dhcp"]["pid"] != applied["dhcp"]["pid"]
    container_ns = os.stat(f"/proc/{engine.pid('dh')}/ns/net").st_ino
    assert clients(state_dir) == [(again["dhcp"]["pid"], container_ns)], "the old container's client is still running"
    assert [r.get("gateway") for r in views.container_routes("dh") if r["dst"] == "default"] == [ROUTER]
    assert engine.ping("dh", ROUTER)
    assert elab.modules.ok("macvlan_netns", args)["changed"] is False

    # absent: the client stops and releases the lease, then the link goes.
    gone = elab.modules.ok("macvlan_netns", {"name": "eth0", "container": "dh", "state": "absent", "dhcp_state_dir": str(state_dir)})
    assert gone["changed"] and gone["dhcp"]["running"] is False
    assert clients(state_dir) == [] and "eth0" not in views.container_links("dh")
    deadline = time.monotonic() + 5
    while lease_of(dhcp_server, mac) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lease_of(dhcp_server, mac) is None, "the lease was not released"
    engine.cli("rm", "-f", "dh")


def test_macvlan_links_container_entry_keeps_its_lease_across_recreation(docker_lab, dhcp_server, tmp_path):  # noqa: F811
    """The same through macvlan_links: a container entry with dhcp, the container re-created, one client, same lease."""
    elab, engine = docker_lab, docker_lab.engine
    state_dir = tmp_path / "dhcp"
    engine.run("dl", "--network", "none")
    entry = {"name": "eth0", "container": "dl", "parent": "eth0", "parent_netns": elab.h1, "dhcp": True, "dhcp_state_dir": str(state_dir)}
    first = elab.modules.ok("macvlan_links", {"config": [entry]})["links"][0]
    engine.cli("rm", "-f", "dl")
    engine.run("dl", "--network", "none")
    again = elab.modules.ok("macvlan_links", {"config": [entry]})["links"][0]
    assert again["link"]["mac_address"] == first["link"]["mac_address"] and again["dhcp"]["address"] == first["dhcp"]["address"]
    assert clients(state_dir) == [(again["dhcp"]["pid"], os.stat(f"/proc/{engine.pid('dl')}/ns/net").st_ino)]
    assert engine.ping("dl", ROUTER)
    gone = elab.modules.ok("macvlan_links", {"state": "deleted", "config": [dict(entry, dhcp=None)]})
    assert gone["links"][0]["dhcp"]["running"] is False and clients(state_dir) == []
    engine.cli("rm", "-f", "dl")
