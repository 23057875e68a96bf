"""macvlan_promisc against a real kernel: the flag is the user's, the counter is everyone's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from lab import sh

MODULE = "macvlan_promisc"

# Holds PACKET_MR_PROMISC on an interface, as tcpdump does: raises the promiscuity
# counter without touching the PROMISC flag. struct packet_mreq: int ifindex,
# unsigned short type (PACKET_MR_PROMISC = 1), unsigned short alen, unsigned char address[8].
PACKET_PROMISC_HOLDER = r"""
import socket, struct, sys, time
ifname = sys.argv[1]
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sock.bind((ifname, 0))
SOL_PACKET, PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC = 263, 1, 1
mreq = struct.pack("iHH8s", socket.if_nametoindex(ifname), PACKET_MR_PROMISC, 0, b"")
sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
print("ready", flush=True)
time.sleep(600)
"""


def kernel_flags(lab, ns: str, name: str) -> tuple[bool, bool, int]:
    """(PROMISC flag, ALLMULTI flag, promiscuity counter) as iproute2 reports them."""
    link = lab.link(ns, name)
    flags = link.get("flags", [])
    return "PROMISC" in flags, "ALLMULTI" in flags, link["promiscuity"]


def warning_text(result: dict) -> str:
    return json.dumps(result.get("warnings", []))


@pytest.fixture
def packet_socket_holder(host_lab):
    """Start a process in h1 that holds promiscuity through a packet socket; yields a stop function."""
    procs: list[subprocess.Popen] = []

    def start(ifname: str = "eth0") -> subprocess.Popen:
        ns = host_lab.hosts["h1"]["netns"]
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-c", PACKET_PROMISC_HOLDER, ifname],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        procs.append(proc)
        line = proc.stdout.readline().strip()
        assert line == "ready", f"packet socket holder did not start: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        return proc

    def stop(proc: subprocess.Popen) -> None:
        proc.kill()
        proc.wait(timeout=10)

    yield start, stop
    for proc in procs:
        if proc.poll() is None:
            stop(proc)


def test_promisc_on_then_off_four_steps(host_lab, modules):
    ns = host_lab.hosts["h1"]["netns"]
    assert kernel_flags(host_lab, ns, "eth0") == (False, False, 0)

    on = modules.four_steps(MODULE, {"name": "eth0", "netns": ns}, host_lab, [ns])
    assert (on["promisc"], on["promiscuity"], on["allmulticast"]) == (True, 1, False)
    assert on["diff"]["before"] == {"name": "eth0", "netns": ns, "promisc": False, "allmulticast": False, "promiscuity": 0}
    assert on["diff"]["after"] == {"name": "eth0", "netns": ns, "promisc": True, "allmulticast": False, "promiscuity": 1}
    assert kernel_flags(host_lab, ns, "eth0") == (True, False, 1)

    off = modules.four_steps(MODULE, {"name": "eth0", "netns": ns, "promisc": False}, host_lab, [ns])
    assert (off["promisc"], off["promiscuity"]) == (False, 0)
    assert kernel_flags(host_lab, ns, "eth0") == (False, False, 0)


@pytest.mark.parametrize("promisc", [True, False])
def test_check_mode_predicts_the_end_state_exactly(host_lab, modules, promisc):
    ns = host_lab.hosts["h1"]["netns"]
    if not promisc:
        host_lab.run(ns, "ip", "link", "set", "eth0", "promisc", "on")
    args = {"name": "eth0", "netns": ns, "promisc": promisc, "allmulticast": True}
    predicted = modules.ok(MODULE, args, check=True, diff=True)
    applied = modules.ok(MODULE, args, diff=True)
    assert predicted["changed"] is applied["changed"] is True
    assert predicted["diff"] == applied["diff"]
    keys = ("name", "netns", "promisc", "allmulticast", "promiscuity")
    assert {k: predicted[k] for k in keys} == {k: applied[k] for k in keys}
    assert kernel_flags(host_lab, ns, "eth0") == (promisc, True, 1 if promisc else 0)


def test_allmulticast_on_off_and_dont_care(host_lab, modules):
    ns = host_lab.hosts["h1"]["netns"]
    on = modules.four_steps(MODULE, {"name": "eth0", "netns": ns, "allmulticast": True}, host_lab, [ns])
    assert on["allmulticast"] is True
    assert kernel_flags(host_lab, ns, "eth0") == (True, True, 1)

    # Omitted: don't care, the flag stays.
    same = modules.ok(MODULE, {"name": "eth0", "netns": ns})
    assert same["changed"] is False and same["allmulticast"] is True

    off = modules.four_steps(MODULE, {"name": "eth0", "netns": ns, "allmulticast": False}, host_lab, [ns])
    assert off["allmulticast"] is False and off["promisc"] is True
    assert kernel_flags(host_lab, ns, "eth0") == (True, False, 1)


def test_packet_socket_promiscuity_is_reported_but_never_cleared(host_lab, modules, packet_socket_holder):
    start, stop = packet_socket_holder
    ns = host_lab.hosts["h1"]["netns"]
    holder = start("eth0")
    # The socket raised the counter, not the flag.
    assert kernel_flags(host_lab, ns, "eth0") == (False, False, 1)

    report = modules.ok(MODULE, {"name": "eth0", "netns": ns, "promisc": False}, check=True)
    assert report["changed"] is False
    assert (report["promisc"], report["promiscuity"]) == (False, 1)
    assert modules.ok(MODULE, {"name": "eth0", "netns": ns, "promisc": False})["changed"] is False
    assert kernel_flags(host_lab, ns, "eth0") == (False, False, 1)

    # Setting the flag changes only the flag: the counter gains the flag's one.
    on = modules.four_steps(MODULE, {"name": "eth0", "netns": ns, "promisc": True}, host_lab, [ns])
    assert (on["promisc"], on["promiscuity"]) == (True, 2)
    assert kernel_flags(host_lab, ns, "eth0") == (True, False, 2)

    # Clearing the flag leaves the socket's hold intact.
    off = modules.four_steps(MODULE, {"name": "eth0", "netns": ns, "promisc": False}, host_lab, [ns])
    assert (off["promisc"], off["promiscuity"]) == (False, 1)
    assert kernel_flags(host_lab, ns, "eth0") == (False, False, 1)

    # Negative control: the remaining hold really was the socket's.
    stop(holder)
    assert kernel_flags(host_lab, ns, "eth0") == (False, False, 0)


def test_missing_interface_names_it_and_the_namespace(host_lab, modules):
    ns = host_lab.hosts["h1"]["netns"]
    before = host_lab.snapshot(ns)
    for check in (True, False):
        failed = modules.fails(MODULE, {"name": "nosuch0", "netns": ns}, check=check)
        assert "'nosuch0'" in failed["msg"] and ns in failed["msg"] and "does not exist" in failed["msg"]
    assert host_lab.snapshot(ns) == before


def test_missing_namespace_is_an_error_and_is_not_created(lab, modules):
    ghost = lab.ns("ghost")
    failed = modules.fails(MODULE, {"name": "eth0", "netns": ghost})
    assert ghost in failed["msg"] and "does not exist" in failed["msg"]
    assert ghost not in sh("ip", "netns", "list").stdout


@pytest.mark.parametrize("args, fragment", [
    ({"name": "a" * 16}, "at most 15 bytes"),
    ({"name": "eth0", "netns": "../etc"}, "must not contain"),
])
def test_invalid_input_is_refused_before_touching_the_kernel(modules, args, fragment):
    assert fragment in modules.fails(MODULE, args)["msg"]


def test_warnings_do_not_cause_failure(host_lab, modules):
    """This test machine is itself a VM: the module warns about the virtual switch and succeeds."""
    ns = host_lab.hosts["h1"]["netns"]
    result = modules.ok(MODULE, {"name": "eth0", "netns": ns, "promisc": True})
    assert result["changed"] is True and result["_rc"] == 0
    detect = shutil.which("systemd-detect-virt")
    if detect:
        vm = sh(detect, "--vm", check=False).stdout.strip()
        if vm and vm != "none":
            assert "virtual machine" in warning_text(result) and vm in warning_text(result)
    # The lab's veth is not a radio.
    assert "wireless" not in warning_text(result)
    # Clearing the flag is not about making macvlan work: no advice then.
    cleared = modules.ok(MODULE, {"name": "eth0", "netns": ns, "promisc": False})
    assert cleared["changed"] is True
    assert "virtual machine" not in warning_text(cleared)
