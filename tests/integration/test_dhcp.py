"""DHCP on a macvlan against a real DHCP server (dnsmasq) and real clients, inside a lab: a host
macvlan and a container macvlan get leases; reruns keep one client; a re-created link gets the same
lease; absent stops the client and releases the lease; renewals keep the address; nothing of the
machine (its /etc/resolv.conf) is touched, and no process is left behind."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import pytest

from lab import sh

RANGE = ("10.77.0.100", "10.77.0.150")
RESOLV = Path("/etc/resolv.conf")


def _resolv_digest() -> str:
    try:
        return hashlib.sha256(RESOLV.read_bytes()).hexdigest()
    except OSError:
        return "absent"


@pytest.fixture
def dhcp_lab(host_lab, tmp_path):
    """host_lab plus a container c1; 'lan' (10.77.0.254) serves DHCP leases of 2 minutes with itself as router."""
    lab = host_lab
    lab.add_container("c1")
    leases = tmp_path / "dnsmasq.leases"
    lab.run(lab.ns("lan"), "dnsmasq", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces",
            f"--dhcp-range={RANGE[0]},{RANGE[1]},255.255.255.0,2m", "--dhcp-option=3,10.77.0.254",
            f"--dhcp-leasefile={leases}", f"--pid-file={tmp_path / 'dnsmasq.pid'}")
    resolv = _resolv_digest()
    lab.leases = leases
    lab.state_dir = str(tmp_path / "dhcp")
    yield lab
    assert _resolv_digest() == resolv, "a DHCP client changed the machine's /etc/resolv.conf"
    lab.destroy()  # kills what runs in the lab's namespaces: the server and any client a test left running
    assert not _processes_naming(str(tmp_path)), "a process started by the test outlived its lab"


def _processes_naming(text: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and "pytest" not in cmdline:
                found.append(int(entry))
    return found


def lease_of(lab, mac: str) -> list[str] | None:
    """dnsmasq's lease line for a MAC: [expiry, mac, ip, host, client-id], or None."""
    for line in lab.leases.read_text().splitlines() if lab.leases.exists() else []:
        fields = line.split()
        if len(fields) >= 3 and fields[1].lower() == mac.lower():
            return fields
    return None


def clients(lab, ns: str, link: str) -> list[int]:
    """PIDs of DHCP clients in `ns` started for `link` (their command line names the link's files)."""
    found = []
    inode = os.stat(f"/run/netns/{ns}").st_ino
    for pid in sh("ip", "netns", "pids", ns).stdout.split():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f"ns{inode:x}-{link}" in cmdline:
            found.append(int(pid))
    return found


def dynamic_v4(lab, ns: str, link: str) -> list[str]:
    import json

    out = json.loads(sh("ip", "-n", ns, "-4", "-j", "addr", "show", "dev", link).stdout)
    return [f"{a['local']}/{a['prefixlen']}" for entry in out for a in entry.get("addr_info", []) if a.get("dynamic")]


def host_args(lab, **kw) -> dict:
    return dict({"name": "mvd0", "parent": "eth0", "netns": lab.ns("h1"), "dhcp": True, "dhcp_state_dir": lab.state_dir}, **kw)


@pytest.mark.parametrize("client", ["udhcpc", "dhclient"])
def test_a_host_macvlan_gets_a_lease_and_keeps_one_client(dhcp_lab, modules, client):
    lab = dhcp_lab
    h1 = lab.ns("h1")
    args = host_args(lab, dhcp_client=client, addresses=["10.77.0.10/24"])
    applied = modules.four_steps("macvlan_link", args, lab, [h1])
    mac = lab.link(h1, "mvd0")["address"]
    lease = lease_of(lab, mac)
    assert lease is not None and applied["dhcp"]["address"] == f"{lease[2]}/24" and applied["dhcp"]["client"] == client
    assert dynamic_v4(lab, h1, "mvd0") == [f"{lease[2]}/24"]
    assert applied["link"]["dynamic_addresses"] == [f"{lease[2]}/24"] and applied["link"]["addresses"] == ["10.77.0.10/24"]
    assert clients(lab, h1, "mvd0") == [applied["dhcp"]["pid"]]
    # The host keeps its own default route: none was added through the macvlan.
    assert not [r for r in lab.routes(h1) if r["dst"] == "default"]
    assert lab.ping(lab.ns("lan"), lease[2])
    # absent: the client stops and releases the lease, then the link goes.
    gone = modules.ok("macvlan_link", {"name": "mvd0", "netns": h1, "state": "absent", "dhcp_state_dir": lab.state_dir})
    assert gone["changed"] and gone["dhcp"]["running"] is False
    assert clients(lab, h1, "mvd0") == [] and lab.link(h1, "mvd0") is None
    deadline = time.monotonic() + 5
    while lease_of(lab, mac) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lease_of(lab, mac) is None, "the lease was not released"


def test_a_container_macvlan_gets_a_lease_and_a_default_route(dhcp_lab, modules):
    lab = dhcp_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    args = {"name": "eth0", "netns": c1, "parent": "eth0", "parent_netns": h1, "dhcp": True, "dhcp_state_dir": lab.state_dir,
            "mac_address": "02:dc:00:00:00:01"}
    applied = modules.four_steps("macvlan_netns", args, lab, [h1, c1])
    lease = lease_of(lab, "02:dc:00:00:00:01")
    assert lease is not None and applied["dhcp"]["address"] == f"{lease[2]}/24"
    assert [(r["dst"], r.get("gateway")) for r in lab.routes(c1) if r["dst"] == "default"] == [("default", "10.77.0.254")]
    assert lab.ping(c1, "10.77.0.254")
    assert clients(lab, c1, "eth0") == [applied["dhcp"]["pid"]] and clients(lab, h1, "eth0") == []


def test_a_recreated_link_gets_the_same_lease_back(dhcp_lab, modules):
    lab = dhcp_lab
    h1 = lab.ns("h1")
    first = modules.ok("macvlan_link", host_args(lab))
    again = modules.ok("macvlan_link", host_args(lab, recreate="always"))
    assert again["recreated"] and again["link"]["ifindex"] != first["link"]["ifindex"]
    assert again["link"]["mac_address"] == first["link"]["mac_address"]
    assert again["dhcp"]["address"] == first["dhcp"]["address"] and again["dhcp"]["pid"] != first["dhcp"]["pid"]
    assert clients(lab, h1, "mvd0") == [again["dhcp"]["pid"]]


def test_the_address_survives_renewals(dhcp_lab, modules):
    lab = dhcp_lab
    h1 = lab.ns("h1")
    applied = modules.ok("macvlan_link", host_args(lab))
    mac, pid = applied["link"]["mac_address"], applied["dhcp"]["pid"]

    def expiry() -> int:
        lease = lease_of(lab, mac)  # None for a moment while dnsmasq rewrites its file
        return int(lease[0]) if lease else 0

    expiries = [expiry()]
    for _renewal in range(2):
        time.sleep(1.1)  # dnsmasq's expiry has a resolution of one second
        os.kill(pid, signal.SIGUSR1)  # udhcpc: renew the lease now
        deadline = time.monotonic() + 5
        while expiry() <= expiries[-1] and time.monotonic() < deadline:
            time.sleep(0.1)
        expiries.append(expiry())
    assert expiries[0] < expiries[1] < expiries[2], f"no renewal reached the server: {expiries}"
    assert dynamic_v4(lab, h1, "mvd0") == [applied["dhcp"]["address"]]
    assert modules.ok("macvlan_link", host_args(lab))["changed"] is False


def test_dhcp_false_stops_the_client_and_keeps_the_link(dhcp_lab, modules):
    lab = dhcp_lab
    h1 = lab.ns("h1")
    modules.ok("macvlan_link", host_args(lab))
    stopped = modules.four_steps("macvlan_link", host_args(lab, dhcp=False), lab, [h1])
    assert stopped["dhcp"]["running"] is False and clients(lab, h1, "mvd0") == []
    assert lab.link(h1, "mvd0") is not None and dynamic_v4(lab, h1, "mvd0") == []


def test_no_lease_is_a_clear_failure(host_lab, modules, tmp_path):
    """No DHCP server on the LAN: the task fails within dhcp_timeout, naming the link and the client's log."""
    h1 = host_lab.ns("h1")
    started = time.monotonic()
    failed = modules.fails("macvlan_link", {"name": "mvd0", "parent": "eth0", "netns": h1, "dhcp": True, "dhcp_timeout": 2,
                                            "dhcp_state_dir": str(tmp_path / "dhcp")})
    assert time.monotonic() - started < 15
    assert "no lease for link mvd0" in failed["msg"] and h1 in failed["msg"] and "dhcp_timeout=2s" in failed["msg"]
    assert str(tmp_path / "dhcp") in failed["msg"]


def test_macvlan_links_starts_one_client_per_entry_and_stops_them_on_delete(dhcp_lab, modules):
    lab = dhcp_lab
    h1, c1 = lab.ns("h1"), lab.ns("c1")
    config = [
        {"name": "mvd0", "netns": h1, "parent_netns": h1, "parent": "eth0", "dhcp": True, "dhcp_state_dir": lab.state_dir},
        {"name": "eth0", "netns": c1, "parent_netns": h1, "parent": "eth0", "dhcp": True, "dhcp_state_dir": lab.state_dir},
    ]
    applied = modules.four_steps("macvlan_links", {"config": config}, lab, [h1, c1])
    host, container = applied["links"]
    assert host["dhcp"]["address"] != container["dhcp"]["address"]
    assert lease_of(lab, host["link"]["mac_address"])[2] == host["dhcp"]["address"].split("/")[0]
    assert container["link"]["dynamic_addresses"] == [container["dhcp"]["address"]]
    # A container's lease brings its default route; the host's does not.
    assert [r["dst"] for r in lab.routes(c1) if r["dst"] == "default"] == ["default"]
    assert not [r for r in lab.routes(h1) if r["dst"] == "default"]
    assert clients(lab, h1, "mvd0") == [host["dhcp"]["pid"]] and clients(lab, c1, "eth0") == [container["dhcp"]["pid"]]
    gone = modules.ok("macvlan_links", {"state": "deleted", "config": [dict(entry, dhcp=None) for entry in config]})
    assert [link["dhcp"]["running"] for link in gone["links"]] == [False, False]
    assert clients(lab, h1, "mvd0") == [] and clients(lab, c1, "eth0") == []
    assert lab.link(h1, "mvd0") is None and lab.link(c1, "eth0") is None
