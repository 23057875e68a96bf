"""macvtap for virtual machines against a real kernel: the device node that IS the link's device
(by major:minor), owned for the VM's user, multiqueue, IPv6 off, proven by frames.

A consumer (tap_consumer.py) opens the reported node as QEMU does, as the unprivileged user
nobody in group nogroup, and exchanges ARP and ICMP with a peer namespace. Everything else is
checked independently: sysfs and sysctls read with `ip netns exec`, nodes with os.stat."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


CONSUMER = Path(__file__).with_name("tap_consumer.py")
GUEST_GROUP = "nogroup"
GUEST_GID = 65534
# The guest user cannot reach the venv's interpreter (under root's home): the consumer needs only the standard library.
GUEST_PYTHON = "/usr/bin/python3"


@pytest.fixture
def tap_dir():
    """The test's own tap_dir (never /dev/macvtap), traversable by the guest user; must end up empty."""
    path = tempfile.mkdtemp(prefix="lmvt-tapdir-")
    os.chmod(path, 0o755)
    default_dir_there = os.path.exists("/dev/macvtap")
    try:
        yield path
        left = [str(p) for p in Path(path).rglob("*")]
        assert not left, f"device nodes left under tap_dir: {left}"
        assert os.path.exists("/dev/macvtap") is default_dir_there, "a test wrote to this machine's /dev/macvtap"
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sysfs_numbers(lab, ns: str, name: str) -> tuple[int, int]:
    out = lab.run(ns, "sh", "-c", f"cat /sys/class/net/{name}/macvtap/tap*/dev").stdout.strip()
    major, minor = out.split(":")
    return int(major), int(minor)


def sysctl(lab, ns: str, key: str) -> int:
    return int(lab.run(ns, "sysctl", "-n", key).stdout.strip())


def start_consumer(node: str, mac: str, ip: str, peer: str, queues: int = 1, timeout: float = 5.0) -> subprocess.Popen:
    """The consumer, as nobody:nogroup (the VM's user)."""
    return subprocess.Popen(  # pylint: disable=consider-using-with
        ["runuser", "-u", "nobody", "-g", GUEST_GROUP, "--", GUEST_PYTHON, str(CONSUMER), "--node", node, "--mac", mac,
         "--ip", ip, "--peer", peer, "--queues", str(queues), "--timeout", str(timeout)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def consumer_report(proc: subprocess.Popen, node: str) -> dict:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    print("consumer", node, out.strip())  # what the guest measured, shown with -s
    return json.loads(out)


def consume(node: str, mac: str, ip: str, peer: str, queues: int = 1, timeout: float = 5.0) -> dict:
    return consumer_report(start_consumer(node, mac, ip, peer, queues, timeout), node)


def assert_is_device(path: str, numbers: tuple[int, int]) -> os.stat_result:
    info = os.stat(path)
    assert stat.S_ISCHR(info.st_mode), f"{path} is not a character device"
    assert (os.major(info.st_rdev), os.minor(info.st_rdev)) == numbers, f"{path} is another device"
    return info


def tap_args(lab, tap_dir: str, **extra) -> dict:
    args = {"name": "mvt0", "parent": "eth0", "netns": lab.ns("h1"), "kind": "macvtap", "mode": "bridge",
            "tap_dir": tap_dir, "tap_group": GUEST_GROUP, "tap_mode": "0660"}
    args.update(extra)
    return args


def test_macvtap_node_for_unprivileged_guest(host_lab, modules, tap_dir):
    h1 = host_lab.ns("h1")
    # Negative control: the node as the kernel makes it (root:root 0600) is closed to the guest's user.
    modules.ok("macvlan_link", {"name": "mvt0", "parent": "eth0", "netns": h1, "kind": "macvtap", "tap_dir": tap_dir})
    plain = modules.ok("macvlan_link", {"name": "mvt0", "parent": "eth0", "netns": h1, "kind": "macvtap", "tap_dir": tap_dir})
    assert plain["changed"] is False
    denied = consume(plain["link"]["tap"]["path"], plain["link"]["mac_address"], "10.77.0.50", "10.77.0.254", timeout=1)
    assert denied["error"] == "EACCES" and denied["opened"] == 0

    result = modules.four_steps("macvlan_link", tap_args(host_lab, tap_dir), host_lab, [h1])
    tap = result["link"]["tap"]
    numbers = sysfs_numbers(host_lab, h1, "mvt0")
    assert (tap["major"], tap["minor"]) == numbers
    info = assert_is_device(tap["path"], numbers)
    assert (info.st_gid, stat.S_IMODE(info.st_mode)) == (GUEST_GID, 0o660)
    assert tap["gid"] == GUEST_GID and tap["mode"] == "0660"
    assert result["diff"]["before"]["tap"]["mode"] == "0600" and result["diff"]["after"]["tap"]["mode"] == "0660"

    seen = consume(tap["path"], result["link"]["mac_address"], "10.77.0.50", "10.77.0.254")
    assert seen["error"] is None and seen["uid"] == 65534, seen
    assert seen["vnet_hdr"] is True
    lan_mac = host_lab.link(host_lab.ns("lan"), "eth0")["address"]
    assert seen["arp_reply_mac"] == lan_mac, seen
    assert seen["icmp_reply"] is True, seen
    assert not seen["foreign"], seen

    # A node this module created goes with the link; /dev/tapN goes with the device itself.
    absent = modules.four_steps("macvlan_link", {"name": "mvt0", "netns": h1, "state": "absent", "tap_dir": tap_dir}, host_lab, [h1])
    assert absent["link"] == {}
    assert not os.path.exists(tap["path"])


def test_macvtap_in_other_namespaces_sharing_an_ifindex(host_lab, modules, tap_dir):
    """Two containers whose macvtaps get the same ifindex: /dev/tapN can be only one of them (or
    neither); each reported node is its own device, and each guest sees only its own traffic."""
    host_lab.add_container("c1")
    host_lab.add_container("c2")
    guests = {"c1": "10.77.0.51", "c2": "10.77.0.52"}
    results = {}
    for role in guests:
        args = tap_args(host_lab, tap_dir, name="eth0", netns=host_lab.ns(role), parent_netns=host_lab.ns("h1"))
        results[role] = modules.four_steps("macvlan_netns", args, host_lab, [host_lab.ns(role), host_lab.ns("h1")])
    ifindexes = {role: host_lab.link(host_lab.ns(role), "eth0")["ifindex"] for role in guests}
    assert ifindexes["c1"] == ifindexes["c2"], ifindexes
    paths = set()
    for role in guests:
        tap = results[role]["link"]["tap"]
        numbers = sysfs_numbers(host_lab, host_lab.ns(role), "eth0")
        assert (tap["major"], tap["minor"]) == numbers
        assert_is_device(tap["path"], numbers)
        paths.add(tap["path"])
    assert len(paths) == 2
    # The second of two same-ifindex macvtaps never has /dev/tapN: its node is under tap_dir.
    c2_tap = results["c2"]["link"]["tap"]
    assert c2_tap["created"] is True and c2_tap["path"] == os.path.join(tap_dir, host_lab.ns("c2"), "eth0")

    # Both guests at once: each gets its own replies, and no frame addressed to the other guest.
    running = {role: start_consumer(results[role]["link"]["tap"]["path"], results[role]["link"]["mac_address"], ip, "10.77.0.254")
               for role, ip in guests.items()}
    seen = {role: consumer_report(proc, role) for role, proc in running.items()}
    for role, report in seen.items():
        assert report["error"] is None and report["icmp_reply"] is True, (role, report)
        assert not report["foreign"], (role, report)
    for role in guests:
        modules.ok("macvlan_netns", {"name": "eth0", "netns": host_lab.ns(role), "state": "absent", "tap_dir": tap_dir})
        assert not os.path.exists(results[role]["link"]["tap"]["path"]) or not results[role]["link"]["tap"]["created"]


def test_macvtap_multiqueue(host_lab, modules, tap_dir):
    h1 = host_lab.ns("h1")
    result = modules.four_steps("macvlan_link", tap_args(host_lab, tap_dir, numtxqueues=4, numrxqueues=4), host_lab, [h1])
    assert result["link"]["numtxqueues"] == 4 and result["link"]["numrxqueues"] == 4
    queues = host_lab.run(h1, "ls", "/sys/class/net/mvt0/queues").stdout.split()
    assert sorted(queues) == [f"rx-{i}" for i in range(4)] + [f"tx-{i}" for i in range(4)]
    link = host_lab.link(h1, "mvt0")
    assert (link["num_tx_queues"], link["num_rx_queues"]) == (4, 4)

    seen = consume(result["link"]["tap"]["path"], result["link"]["mac_address"], "10.77.0.53", "10.77.0.254", queues=4)
    assert seen["error"] is None and seen["opened"] == 4, seen
    assert seen["icmp_reply"] is True, seen

    # A different count is fixed at creation: refused without recreate, re-created with it.
    refused = modules.fails("macvlan_link", tap_args(host_lab, tap_dir, numtxqueues=2, numrxqueues=2))
    assert "numtxqueues: 4 -> 2" in refused["msg"] and "recreate" in refused["msg"]
    recreated = modules.ok("macvlan_link", tap_args(host_lab, tap_dir, numtxqueues=2, numrxqueues=2, recreate="options-changed"))
    assert recreated["recreated"] is True and "numtxqueues: 4 -> 2 (fixed when the link is created)" in recreated["recreate_reasons"]
    link = host_lab.link(h1, "mvt0")
    assert (link["num_tx_queues"], link["num_rx_queues"]) == (2, 2)
    tap = recreated["link"]["tap"]
    assert_is_device(tap["path"], sysfs_numbers(host_lab, h1, "mvt0"))
    modules.ok("macvlan_link", {"name": "mvt0", "netns": h1, "state": "absent", "tap_dir": tap_dir})


@pytest.mark.parametrize("kind", ["macvtap", "macvlan"])
def test_ipv6_false(host_lab, modules, tap_dir, kind):
    h1 = host_lab.ns("h1")
    args = {"name": "mv6", "parent": "eth0", "netns": h1, "kind": kind, "ipv6": False, "tap_dir": tap_dir}
    result = modules.four_steps("macvlan_link", args, host_lab, [h1])
    assert result["link"]["ipv6"] is False
    assert sysctl(host_lab, h1, "net.ipv6.conf.mv6.disable_ipv6") == 1
    assert sysctl(host_lab, h1, "net.ipv6.conf.mv6.addr_gen_mode") == 1
    assert ipv6_addresses(host_lab, h1, "mv6") == []
    # Back on: the namespace's default address generation, and a link-local address again.
    on = modules.ok("macvlan_link", dict(args, ipv6=True), diff=True)
    assert on["changed"] is True and on["link"]["ipv6"] is True
    assert on["diff"]["before"]["ipv6"] is False and on["diff"]["after"]["ipv6"] is True
    assert sysctl(host_lab, h1, "net.ipv6.conf.mv6.disable_ipv6") == 0
    assert sysctl(host_lab, h1, "net.ipv6.conf.mv6.addr_gen_mode") == 0
    modules.ok("macvlan_link", {"name": "mv6", "netns": h1, "state": "absent", "tap_dir": tap_dir})


@pytest.mark.parametrize("option,value", [("tap_owner", "root"), ("tap_group", "nogroup"), ("tap_mode", "0660")])
def test_tap_options_refused_on_a_macvlan(host_lab, modules, option, value):
    h1 = host_lab.ns("h1")
    before = host_lab.snapshot(h1)
    failed = modules.fails("macvlan_link", {"name": "mv0", "parent": "eth0", "netns": h1, option: value})
    assert failed["msg"] == (
        f"{option}: only a macvtap has a character device node, and link mv0 in namespace {h1!r} is a macvlan; "
        "set kind: macvtap or remove the option"
    )
    assert host_lab.snapshot(h1) == before


@pytest.mark.parametrize("args,message", [
    ({"tap_group": "no-such-group-lmvt"}, "tap_group=no-such-group-lmvt: no such group on this host"),
    ({"tap_owner": "no-such-user-lmvt"}, "tap_owner=no-such-user-lmvt: no such user on this host"),
    ({"tap_mode": "rw-rw----"}, "tap_mode='rw-rw----': not an octal permission mode such as '0660'"),
    ({"numtxqueues": 0}, "numtxqueues=0: out of range 1..4096"),
])
def test_macvtap_refusals(host_lab, modules, tap_dir, args, message):
    h1 = host_lab.ns("h1")
    before = host_lab.snapshot(h1)
    failed = modules.fails("macvlan_link", dict({"name": "mvt0", "parent": "eth0", "netns": h1, "kind": "macvtap", "tap_dir": tap_dir}, **args))
    assert failed["msg"].startswith(message), failed["msg"]
    assert host_lab.snapshot(h1) == before


def test_macvlan_info_reports_the_node(host_lab, modules, tap_dir):
    """Two same-ifindex macvtaps in two containers: macvlan_info names each one's own node."""
    for role in ("c1", "c2"):
        host_lab.add_container(role)
        modules.ok("macvlan_netns", tap_args(host_lab, tap_dir, name="eth0", netns=host_lab.ns(role), parent_netns=host_lab.ns("h1"), ipv6=False))
    for role in ("c1", "c2"):
        info = modules.ok("macvlan_info", {"netns": host_lab.ns(role), "tap_dir": tap_dir})
        (entry,) = info["links"]
        numbers = sysfs_numbers(host_lab, host_lab.ns(role), "eth0")
        assert (entry["tap"]["major"], entry["tap"]["minor"]) == numbers
        assert_is_device(entry["tap"]["path"], numbers)
        assert entry["tap"]["gid"] == GUEST_GID and entry["tap"]["mode"] == "0660"
        assert entry["ipv6"] is False and entry["numtxqueues"] == 1
    for role in ("c1", "c2"):
        modules.ok("macvlan_netns", {"name": "eth0", "netns": host_lab.ns(role), "state": "absent", "tap_dir": tap_dir})


def test_macvlan_links_entries(host_lab, modules, tap_dir):
    h1 = host_lab.ns("h1")
    entry = {"name": "mvt1", "parent": "eth0", "netns": h1, "parent_netns": h1, "kind": "macvtap", "tap_dir": tap_dir,
             "tap_group": GUEST_GROUP, "tap_mode": "0660", "numtxqueues": 2, "numrxqueues": 2, "ipv6": False}
    result = modules.four_steps("macvlan_links", {"config": [entry]}, host_lab, [h1])
    (link,) = [item["link"] for item in result["links"]]
    numbers = sysfs_numbers(host_lab, h1, "mvt1")
    assert (link["tap"]["major"], link["tap"]["minor"]) == numbers
    info = assert_is_device(link["tap"]["path"], numbers)
    assert (info.st_gid, stat.S_IMODE(info.st_mode)) == (GUEST_GID, 0o660)
    assert link["numtxqueues"] == 2 and link["ipv6"] is False
    assert sysctl(host_lab, h1, "net.ipv6.conf.mvt1.disable_ipv6") == 1
    seen = consume(link["tap"]["path"], link["mac_address"], "10.77.0.54", "10.77.0.254", queues=2)
    assert seen["error"] is None and seen["icmp_reply"] is True, seen
    modules.ok("macvlan_links", {"state": "deleted", "config": [{"name": "mvt1", "netns": h1, "parent_netns": h1, "tap_dir": tap_dir}]})
    assert host_lab.link(h1, "mvt1") is None


@pytest.fixture
def router_advertisements(host_lab, tmp_path):
    """dnsmasq on the LAN peer advertising 2001:db8:77::/64 for SLAAC (ra-only); stopped after the test."""
    lan = host_lab.ns("lan")
    host_lab.run(lan, "ip", "-6", "addr", "add", "2001:db8:77::fe/64", "dev", "eth0", "nodad")
    pid_file, log = tmp_path / "dnsmasq.pid", tmp_path / "dnsmasq.log"
    script = ("set -e; mount -t tmpfs -o mode=755 lab-run /run; exec dnsmasq --keep-in-foreground --conf-file=/dev/null "
              f"--port=0 --interface=eth0 --bind-interfaces --enable-ra --dhcp-range=2001:db8:77::,ra-only,64,2m "
              f"--ra-param=eth0,3 --pid-file={pid_file}")
    with open(log, "wb") as errors:
        server = subprocess.Popen(  # pylint: disable=consider-using-with
            ["ip", "netns", "exec", lan, "unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
        )
    try:
        deadline = time.monotonic() + 10
        while not pid_file.exists():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "dnsmasq did not start"
            time.sleep(0.05)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def ipv6_addresses(lab, ns: str, name: str) -> list[str]:
    return [a["local"] for link in json.loads(lab.run(ns, "ip", "-6", "-j", "addr", "show", "dev", name).stdout)
            for a in link.get("addr_info", [])]


def test_ipv6_false_under_router_advertisements(host_lab, modules, tap_dir, router_advertisements):
    """A sibling without ipv6: false autoconfigures from the peer's RAs (the control); the link with it has no
    IPv6 address at all, also after several more advertisements (every 3 s)."""
    h1 = host_lab.ns("h1")
    for name, extra in (("mvon", {}), ("mvoff", {"ipv6": False})):
        modules.ok("macvlan_link", dict({"name": name, "parent": "eth0", "netns": h1, "kind": "macvtap", "tap_dir": tap_dir}, **extra))
    deadline = time.monotonic() + 30
    while not any(a.startswith("2001:db8:77:") for a in ipv6_addresses(host_lab, h1, "mvon")):
        assert time.monotonic() < deadline, f"the control link never autoconfigured: {ipv6_addresses(host_lab, h1, 'mvon')}"
        time.sleep(0.5)
    time.sleep(7)  # at least two more advertisements
    assert ipv6_addresses(host_lab, h1, "mvoff") == []
    assert sysctl(host_lab, h1, "net.ipv6.conf.mvoff.disable_ipv6") == 1
    assert sysctl(host_lab, h1, "net.ipv6.conf.mvoff.addr_gen_mode") == 1
    for name in ("mvon", "mvoff"):
        modules.ok("macvlan_link", {"name": name, "netns": h1, "state": "absent", "tap_dir": tap_dir})
