"""host_shim's networkd and NetworkManager backends, proven by the real daemons at "boot".

A boot is a fresh lab host namespace on the same switch (eth0 down and unconfigured, two
macvlan containers on it), in which systemd-networkd or NetworkManager starts confined to the
lab (daemon_lab.py) and reads exactly the files the role wrote for h1. The old host h1 is taken
off the switch first (its eth0 down), as a rebooting machine is. The shim must come back with the
MAC, mode, addresses and routes the runtime run had, and reach the containers (IPv4 and IPv6).
The activation tests run the role itself inside such a lab (Ansible's shell enters the lab's mount
namespace), so `auto` detection, `networkctl reload` and `nmcli connection load/up` meet the lab
daemons on their private bus, never the machine's.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from daemon_lab import PARENT_KEYFILE, DaemonBoot, daemons_installed
from lab import Lab
from shim_lab import ADDRESSES, CONTAINERS, MAC, ROUTES, SHIM, ShimLab

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    bool(daemons_installed()), reason=f"not installed: {daemons_installed()} (`make deps` installs NetworkManager where that is safe)")]

OTHER = {"networkd": "networkmanager", "networkmanager": "networkd"}
# The metrics macvlan_link gives a route without one; networkd does the same, and the role's keyfile
# tells NetworkManager to (its own default would be 410).
METRICS = {"networkd": {4: 0, 6: 1024}, "networkmanager": {4: 0, 6: 1024}}
BOOT_TIMES: dict[str, list[float]] = {}


@pytest.fixture
def dlab():
    the_lab = Lab(prefix="lmvb")
    try:
        yield the_lab
    finally:
        the_lab.destroy()


@pytest.fixture
def shim(dlab, staged, tmp_path) -> ShimLab:
    dlab.add_switch()
    dlab.add_host("h1", "10.77.0.1/24")
    shim = ShimLab(dlab, staged, tmp_path)
    keyfile = shim.root / "etc/NetworkManager/system-connections/lab-eth0.nmconnection"
    keyfile.parent.mkdir(parents=True, exist_ok=True)
    keyfile.write_text(PARENT_KEYFILE)
    keyfile.chmod(0o600)
    return shim


@pytest.fixture(scope="module", autouse=True)
def report_boot_times():
    yield
    if BOOT_TIMES:
        print("\nboot times (start -> shim with every address and route):",
              json.dumps({k: [round(t, 3) for t in v] for k, v in BOOT_TIMES.items()}))


def shim_state(lab, ns: str, name: str = SHIM) -> dict:
    """The shim as iproute2 sees it; routes by destination (each daemon has its own metric)."""
    link = lab.link(ns, name)
    if link is None:
        return {}
    routes = sorted(r["dst"] for fam in ("-4", "-6") for r in lab.routes(ns, name, fam)
                    if r.get("protocol") != "kernel" and not r["dst"].startswith("fe80"))
    return {"mac": link["address"], "mode": link["linkinfo"]["info_data"]["mode"], "up": "UP" in link["flags"],
            "addresses": lab.addrs(ns, name), "routes": routes}


def runtime_state(shim: ShimLab) -> dict:
    return shim_state(shim.lab, shim.h1)


def boot_host(shim: ShimLab, role: str) -> str:
    """A fresh host on the switch, eth0 down and unconfigured, with its containers; h1 taken off."""
    lab = shim.lab
    shim.lab.run(shim.h1, "ip", "link", "set", "eth0", "down")
    ns = lab.add_host(role)
    lab.run(ns, "ip", "link", "set", "eth0", "down")
    for index, (name, (v4, v6)) in enumerate(CONTAINERS.items()):
        cns = lab.add_container(f"{role}{name}")
        lab.run(ns, "ip", "link", "add", "link", "eth0", "name", f"mv{index}", "type", "macvlan", "mode", "bridge")
        lab.run(ns, "ip", "link", "set", f"mv{index}", "netns", cns)
        lab.run(cns, "ip", "addr", "add", f"{v4}/24", "dev", f"mv{index}")
        lab.run(cns, "ip", "addr", "add", f"{v6}/64", "dev", f"mv{index}")
        lab.run(cns, "ip", "link", "set", f"mv{index}", "up")
    return ns


def retire(shim: ShimLab, ns: str) -> None:
    """Take a booted host off the switch again and give h1 its eth0 back (for the next role run)."""
    shim.lab.run(ns, "ip", "link", "set", "eth0", "down")
    shim.lab.run(shim.h1, "ip", "link", "set", "eth0", "up")


def boot(shim: ShimLab, role: str, daemons: tuple[str, ...], expect: dict | None, tmp: Path, **kw) -> DaemonBoot:
    """Boot `role` with `daemons` on the files under shim.root; wait for `expect` (or, with None,
    for the parent to be configured and then check that no shim appears). Returns the running boot."""
    ns = boot_host(shim, role)
    # NetworkManager manages only the parent and the shim unless a test says otherwise.
    kw.setdefault("nm_unmanaged", f"except:interface-name:eth0;except:interface-name:{SHIM}")
    daemon = DaemonBoot(shim.lab, ns, shim.root, tmp / f"boot-{role}", daemons, **kw).start()
    try:
        if expect is None:
            daemon.wait_for(lambda: "10.77.0.1/24" in shim.lab.addrs(ns, "eth0"), 10, "the parent's own address")
            time.sleep(1.5)  # both daemons build a shim within 0.2 s of the parent: give them far more
            assert shim.lab.link(ns, SHIM) is None, f"a shim appeared from files that should no longer produce one:\n{daemon.log()}"
            return daemon
        try:
            took = daemon.wait_for(lambda: shim_state(shim.lab, ns) == expect, 15, f"the shim {expect}")
        except AssertionError as exc:
            view = daemon.networkctl("status", "--all", check=False) if "networkd" in daemons else daemon.nmcli("device", "show", check=False)
            raise AssertionError(f"{exc}\nfound: {shim_state(shim.lab, ns)}\n{view[-3000:]}") from None
        BOOT_TIMES.setdefault("+".join(daemons), []).append(took)
        for address in (a for pair in CONTAINERS.values() for a in pair):
            assert shim.lab.ping(ns, address), f"{ns} does not reach its container {address} through the shim"
        return daemon
    except BaseException:
        daemon.stop()
        raise


def expect_metrics(shim: ShimLab, ns: str, daemon: str) -> None:
    for fam, family in (("-4", 4), ("-6", 6)):
        for route in shim.lab.routes(ns, SHIM, fam):
            if route.get("protocol") != "kernel" and not route["dst"].startswith("fe80"):
                assert route.get("metric", 0) == METRICS[daemon][family], route


def daemon_view(daemon: DaemonBoot, backend: str) -> None:
    """The daemon itself says it configured the shim from the role's file."""
    if backend == "networkd":
        status = daemon.networkctl("status", SHIM)
        assert f"Network File: /etc/systemd/network/05-host-shim-{SHIM}.network" in status, status
    else:
        active = daemon.nmcli("-t", "-f", "NAME,DEVICE,STATE", "connection", "show", "--active")
        assert f"host-shim-{SHIM}:{SHIM}:activated" in active.splitlines(), active


# ---- 1. boot: the files alone bring the shim back ------------------------------------------


@pytest.mark.parametrize("backend", ["networkd", "networkmanager"])
def test_boot_brings_back_the_runtime_shim_then_the_changed_one(shim, backend, tmp_path):
    shim.play(backend)
    runtime = runtime_state(shim)
    assert runtime["mac"] == MAC and runtime["addresses"] == sorted(ADDRESSES)

    with boot(shim, "b1", (backend,), runtime, tmp_path) as daemon:
        daemon_view(daemon, backend)
        expect_metrics(shim, daemon.ns, backend)
    retire(shim, shim.lab.ns("b1"))

    # A changed variable (another address, one more route): the role updates runtime and files,
    # and the next boot gives the new shim.
    changed = {"host_shim_addresses": ["10.77.0.251/32", "fd00:77::251/128"], "host_shim_routes": ROUTES + ["10.77.0.202/31"]}
    assert shim.play(backend, **changed)["changed"] > 0
    runtime = runtime_state(shim)
    assert runtime["addresses"] == ["10.77.0.251/32", "fd00:77::251/128"] and "10.77.0.202/31" in runtime["routes"]
    with boot(shim, "b2", (backend,), runtime, tmp_path) as daemon:
        daemon_view(daemon, backend)
    retire(shim, shim.lab.ns("b2"))

    # Switched to the other daemon's backend: the old backend's files no longer produce a shim,
    # the new backend's do.
    shim.play(OTHER[backend], **changed)
    with boot(shim, "b3", (backend,), None, tmp_path):
        pass
    retire(shim, shim.lab.ns("b3"))
    with boot(shim, "b4", (OTHER[backend],), runtime, tmp_path) as daemon:
        daemon_view(daemon, OTHER[backend])


# ---- 2. the role against running lab daemons: auto detection and activation ------------------


def lab_inventory(shim: ShimLab, daemon: DaemonBoot) -> None:
    """Ansible reaches h1 through the netns connection, and its shell enters the lab's mount namespace."""
    (shim.tmp / "inventory.yml").write_text(json.dumps({"all": {"hosts": {"h1": {
        "ansible_connection": "linuxnet.macvlan.netns",
        "ansible_netns_name": shim.h1,
        "ansible_shell_executable": str(daemon.enter_script),
        "ansible_python_interpreter": sys.executable,
    }}}}))


def start_on_h1(shim: ShimLab, daemons: tuple[str, ...], tmp: Path, **kw) -> DaemonBoot:
    """The daemons on h1 itself, which then owns its eth0 address (networkd loops on an address it
    finds added without a broadcast; NetworkManager replaces it with its own)."""
    shim.lab.run(shim.h1, "ip", "addr", "flush", "dev", "eth0")
    daemon = DaemonBoot(shim.lab, shim.h1, shim.root, tmp / "h1-daemons", daemons, **kw).start()
    daemon.wait_for(lambda: "10.77.0.1/24" in shim.lab.addrs(shim.h1, "eth0"), 10, "h1's eth0 address from the daemon")
    lab_inventory(shim, daemon)
    return daemon


# Inside the lab, / is the lab's: the role writes through the bind mounts into shim.root.
IN_LAB = {"host_shim_persist_root": "/", "host_shim_state_dir": "/run/linuxnet-macvlan"}


def test_auto_picks_networkd_reloads_it_and_marks_the_shim_unmanaged_for_networkmanager(shim, tmp_path):
    """networkd runs and NetworkManager runs beside it (keeping off eth0): auto chooses networkd,
    runs `networkctl reload` and `nmcli general reload conf`; both daemons confirm."""
    daemon = start_on_h1(shim, ("networkd", "networkmanager"), tmp_path, nm_unmanaged="interface-name:eth0")
    with daemon:
        first = shim.play("auto", **IN_LAB)
        out = first["out"]
        assert "Reload systemd-networkd" in out and "Reload NetworkManager's configuration" in out, out[-3000:]
        dropin = shim.root / f"etc/systemd/network/10-eth0.network.d/50-host-shim-{SHIM}.conf"
        unmanaged = shim.root / f"etc/NetworkManager/conf.d/90-host-shim-{SHIM}.conf"
        assert dropin.exists() and unmanaged.exists()
        daemon.wait_for(lambda: f"05-host-shim-{SHIM}.network" in daemon.networkctl("status", SHIM), 10,
                        "networkd to configure the shim from the role's file")
        devices = daemon.nmcli("-t", "-f", "DEVICE,STATE", "device", "status")
        assert f"{SHIM}:unmanaged" in devices.splitlines(), devices
        runtime = runtime_state(shim)
        assert runtime["mac"] == MAC and runtime["addresses"] == sorted(ADDRESSES)
        assert shim.reaches_containers()
        again = shim.play("auto", **IN_LAB)
        assert again["changed"] == 0, again["out"][-4000:]
    # A boot with both daemons: networkd builds the shim, NetworkManager keeps its hands off it.
    with boot(shim, "b1", ("networkd", "networkmanager"), runtime, tmp_path, nm_unmanaged="interface-name:eth0") as booted:
        daemon_view(booted, "networkd")
        devices = booted.nmcli("-t", "-f", "DEVICE,STATE", "device", "status")
        assert f"{SHIM}:unmanaged" in devices.splitlines(), devices


def test_auto_picks_networkmanager_and_brings_the_connection_up(shim, tmp_path):
    """NetworkManager manages the parent: auto chooses it, `nmcli connection load` and `up` run,
    and NetworkManager then holds the shim as the role's connection."""
    daemon = start_on_h1(shim, ("networkmanager",), tmp_path,
                         nm_unmanaged=f"except:interface-name:eth0;except:interface-name:{SHIM}")
    with daemon:
        first = shim.play("auto", **IN_LAB)
        assert "Load the shim's keyfile into NetworkManager" in first["out"], first["out"][-3000:]
        keyfile = shim.root / f"etc/NetworkManager/system-connections/host-shim-{SHIM}.nmconnection"
        assert keyfile.exists() and f"{keyfile.stat().st_mode & 0o7777:04o}" == "0600"
        daemon.wait_for(lambda: f"host-shim-{SHIM}:{SHIM}:activated" in daemon.nmcli(
            "-t", "-f", "NAME,DEVICE,STATE", "connection", "show", "--active").splitlines(), 10, "the shim's connection")
        runtime = runtime_state(shim)
        assert runtime["mac"] == MAC and runtime["addresses"] == sorted(ADDRESSES)
        assert shim.reaches_containers()
        again = shim.play("auto", **IN_LAB)
        assert again["changed"] == 0, again["out"][-4000:]
