"""host_shim persistence backends, driven with ansible-playbook against namespace lab hosts.

Every file the role writes goes under a per-test persist root in tmp_path, and service actions
stay off (host_shim_persist_activate defaults to false when the root is not /): nothing here runs
systemctl, networkctl or nmcli, or touches the machine's /etc.

Validated here: the runtime shim, the files byte for byte (golden), the systemd unit's ExecStart=
commands run inside the namespace after deleting the shim (simulated reboot), the ifupdown stanza
brought up by Debian's own ifup (when installed), `systemd-analyze verify` of the unit (in a
private mount namespace), the keys of the networkd files and the keyfile. The real
systemd-networkd and NetworkManager load the files in test_host_shim_daemons.py.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from lab import sh
from shim_lab import ADDRESSES, INTERFACES, MAC, PARENT_NETWORK, ROUTES, SHIM, ShimLab

GOLDEN = Path(__file__).parent / "golden" / "host_shim"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
UNIT = f"host-shim-{SHIM}.service"
BACKENDS = ["systemd", "networkd", "networkmanager", "ifupdown"]


def expect_golden(shim_lab: ShimLab, name: str) -> None:
    """The files under the root match golden/host_shim/<name>/ byte for byte, with the modes and
    symlinks listed in golden/host_shim/<name>.manifest, and nothing else was written."""
    manifest = shim_lab.written()
    manifest_file = GOLDEN / f"{name}.manifest"
    files = {rel: (shim_lab.root / rel).read_bytes() for rel, kind in manifest.items() if not kind.startswith("->")}
    if UPDATE_GOLDEN:
        shutil.rmtree(GOLDEN / name, ignore_errors=True)
        for rel, data in files.items():
            (GOLDEN / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name / rel).write_bytes(data)
        manifest_file.write_text("".join(f"{rel} {kind}\n" for rel, kind in manifest.items()))
    expected = dict(line.split(" ", 1) for line in manifest_file.read_text().splitlines())
    assert manifest == expected, "the role wrote other files (or modes, or links) than the golden manifest lists"
    for rel, data in files.items():
        assert data == (GOLDEN / name / rel).read_bytes(), f"{rel} differs from golden/host_shim/{name}/{rel}"


def golden_file(name: str, suffix: str) -> Path:
    [path] = list((GOLDEN / name).rglob(f"*{suffix}"))
    return path


# ---- golden files: the same shim through each backend --------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_files_match_golden(shim_lab, backend):
    shim_lab.four_steps(backend)
    expect_golden(shim_lab, backend)
    runtime = shim_lab.runtime()
    assert runtime["mac"] == MAC and runtime["addresses"] == sorted(ADDRESSES)
    assert (shim_lab.root / "etc/systemd/network/10-eth0.network").read_text() == PARENT_NETWORK
    assert (shim_lab.root / "etc/network/interfaces").read_text() == INTERFACES
    assert shim_lab.reaches_containers()


# ---- static validation against the documented keys ---------------------------------------

# systemd.netdev(5) / systemd.network(5) (systemd 252): the sections and keys the role may write.
NETWORKD_KEYS = {
    ".netdev": {"NetDev": {"Name", "Kind", "MACAddress", "Description", "MTUBytes"}, "MACVLAN": {"Mode", "SourceMACAddress"}},
    ".network": {"Match": {"Name"}, "Link": {"RequiredForOnline", "Promiscuous"},
                 "Network": {"DHCP", "IPv6AcceptRA", "LinkLocalAddressing", "Address", "MACVLAN"},
                 "Route": {"Destination", "Gateway", "Scope", "Metric"}},
}
NETWORKD_MODES = {"private", "vepa", "bridge", "passthru", "source"}


def parse_unit_style(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of a systemd-style file; repeated sections and keys kept in order."""
    entries, section = [], None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            assert line.endswith("]"), f"{path}: bad section line {raw!r}"
            section = line[1:-1]
            continue
        assert section and "=" in line, f"{path}: {raw!r} is not key=value inside a section"
        key, value = line.split("=", 1)
        entries.append((section, key.strip(), value.strip()))
    return entries


def test_networkd_files_use_documented_keys():
    """The documented keys only (the real networkd loads them in test_host_shim_daemons.py)."""
    netdev = parse_unit_style(golden_file("networkd", ".netdev"))
    network = parse_unit_style(golden_file("networkd", "host-shim-macvlan-shim.network"))
    dropin = parse_unit_style(golden_file("networkd", "50-host-shim-macvlan-shim.conf"))
    for entries, kind in ((netdev, ".netdev"), (network, ".network"), (dropin, ".network")):
        for section, key, _value in entries:
            assert key in NETWORKD_KEYS[kind].get(section, set()), f"[{section}] {key}= is not a documented {kind} key"
    assert dict((k, v) for s, k, v in netdev if s == "NetDev") == {"Name": SHIM, "Kind": "macvlan", "MACAddress": MAC}
    assert [v for s, k, v in netdev if s == "MACVLAN" and k == "Mode"] == ["bridge"]
    assert sorted(v for s, k, v in network if k == "Address") == sorted(ADDRESSES)
    assert sorted(v for s, k, v in network if k == "Destination") == sorted(ROUTES)
    assert ("Match", "Name", SHIM) in network
    assert dropin == [("Network", "MACVLAN", SHIM)]
    # The drop-in sits in the directory of the user's own parent file, which stays untouched.
    assert golden_file("networkd", "50-host-shim-macvlan-shim.conf").parent.name == "10-eth0.network.d"


# nm-settings-keyfile(5) / nm-settings-nmcli(5): setting names as the keyfile spells them.
NM_KEYS = {
    "connection": {"id", "uuid", "type", "interface-name", "autoconnect"},
    "ethernet": {"cloned-mac-address"},
    "macvlan": {"mode", "parent", "promiscuous", "tap"},
    "ipv4": {"method", "route-metric"}, "ipv6": {"method", "route-metric"},
}
NM_MODES = {"vepa": "1", "bridge": "2", "private": "3", "passthru": "4", "source": "5"}


def test_networkmanager_keyfile_is_valid():
    """The documented keys only (the real NetworkManager loads it in test_host_shim_daemons.py)."""
    path = golden_file("networkmanager", ".nmconnection")
    keyfile = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"))
    keyfile.optionxform = str
    keyfile.read_string(path.read_text())
    for section in keyfile.sections():
        for key in keyfile[section]:
            allowed = NM_KEYS.get(section, set())
            if section in ("ipv4", "ipv6"):
                assert key in allowed or re.fullmatch(r"(address|route)[1-9]\d*", key), f"[{section}] {key}"
            else:
                assert key in allowed, f"[{section}] {key} is not a keyfile key the role may write"
    assert keyfile["connection"]["type"] == "macvlan"
    assert keyfile["connection"]["interface-name"] == SHIM
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", keyfile["connection"]["uuid"])
    assert keyfile["macvlan"]["mode"] == NM_MODES["bridge"] and keyfile["macvlan"]["parent"] == "eth0"
    assert keyfile["ethernet"]["cloned-mac-address"] == MAC
    for family, index in (("ipv4", 0), ("ipv6", 1)):
        assert keyfile[family]["method"] == "manual"
        assert keyfile[family]["address1"] == ADDRESSES[index] and keyfile[family]["route1"] == ROUTES[index]
    manifest = dict(line.split(" ", 1) for line in (GOLDEN / "networkmanager.manifest").read_text().splitlines())
    assert manifest[path.relative_to(GOLDEN / "networkmanager").as_posix()] == "0600"


# ---- systemd: a simulated reboot -------------------------------------------------------------


def exec_start_commands(unit: Path) -> list[list[str]]:
    """ExecStart= lines split as systemd splits them (its quoting is the shell's for these lines,
    where every $ is systemd's escape $$ and no % specifier occurs); the -@:+! prefixes are
    systemd's, not the command's."""
    commands = []
    for section, key, value in parse_unit_style(unit):
        if section == "Service" and key == "ExecStart":
            assert "$" not in value.replace("$$", "") and "%" not in value, f"specifier or variable systemd would expand: {value}"
            argv = shlex.split(value.replace("$$", "$"))
            argv[0] = argv[0].lstrip("-@:+!")
            assert argv[0].startswith("/"), f"not an absolute path: {value}"
            commands.append(argv)
    return commands


@pytest.mark.slow
def test_systemd_simulated_reboot(shim_lab):
    """Stable MAC (none given): the unit carries the runtime MAC; after the shim is deleted, running
    the unit's commands as systemd would gives back the same shim, and the role then finds nothing to do."""
    shim_lab.play("systemd", host_shim_mac_address=None)
    before = shim_lab.runtime()
    unit = shim_lab.root / "etc/systemd/system" / UNIT
    text = unit.read_text()
    assert f" {before['mac']} " in text
    assert "BindsTo=sys-subsystem-net-devices-eth0.device" in text and "After=sys-subsystem-net-devices-eth0.device" in text
    assert os.readlink(shim_lab.root / "etc/systemd/system/multi-user.target.wants" / UNIT) == f"/etc/systemd/system/{UNIT}"
    assert os.readlink(shim_lab.root / "etc/systemd/system/sys-subsystem-net-devices-eth0.device.wants" / UNIT) == f"/etc/systemd/system/{UNIT}"

    shim_lab.lab.run(shim_lab.h1, "ip", "link", "del", SHIM)
    assert shim_lab.runtime() == {} and not shim_lab.lab.ping(shim_lab.h1, "10.77.0.200", tries=1)
    for _boot in range(2):  # the commands are idempotent: a second start changes nothing
        for argv in exec_start_commands(unit):
            result = shim_lab.lab.run(shim_lab.h1, *argv, check=False)
            assert result.returncode == 0, f"{argv}: {result.stderr}"
        assert shim_lab.runtime() == before
    assert shim_lab.reaches_containers()
    again = shim_lab.play("systemd", host_shim_mac_address=None)
    assert again["changed"] == 0, again["out"][-4000:]


@pytest.mark.slow
def test_systemd_unit_passes_systemd_analyze_verify(shim_lab, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    shim_lab.play("systemd")
    # Offline check of the unit file's syntax and directives (no manager is contacted). The
    # parent's .device unit does not exist on this machine, which verify reports but is not a fault.
    # verify writes /run/systemd/systemd-units-load wherever it runs: give it a private mount namespace and /run.
    result = sh("unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount -t tmpfs tmpfs /run && exec "$@"', "verify",
                "systemd-analyze", "verify", "--man=no", str(shim_lab.root / "etc/systemd/system" / UNIT), check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if line.strip() and "sys-subsystem-net-devices" not in line and "Failed to prepare filename" not in line]
    if result.returncode != 0 and any("System has not been booted with systemd" in p or "Failed to initialize manager" in p
                                      for p in problems):
        pytest.skip(f"systemd-analyze verify cannot run here: {problems[0]}")
    assert not problems, "\n".join(problems)


# ---- ifupdown: Debian's own ifup brings the stanza up --------------------------------------


@pytest.mark.slow
def test_ifupdown_stanza_with_real_ifup(shim_lab, tmp_path):
    ifup = shutil.which("ifup")
    if ifup is None:
        pytest.skip("Debian's ifupdown is not installed (tests/tools/apt_deps.sh installs it)")
    shim_lab.play("ifupdown", host_shim_mac_address=None)
    before = shim_lab.runtime()
    shim_lab.lab.run(shim_lab.h1, "ip", "link", "del", SHIM)
    state = tmp_path / "ifstate"
    state.mkdir()
    # -i: the lab root's main file, whose relative 'source interfaces.d/*' reads the role's stanza.
    # --no-scripts: the machine's /etc/network/if-*.d hooks are not part of the test.
    common = ["-i", str(shim_lab.root / "etc/network/interfaces"), "--state-dir", str(state), "--no-scripts"]
    result = shim_lab.lab.run(shim_lab.h1, ifup, *common, SHIM, check=False)
    assert result.returncode == 0, result.stderr
    assert shim_lab.runtime() == before
    assert shim_lab.reaches_containers()
    assert shim_lab.play("ifupdown", host_shim_mac_address=None)["changed"] == 0
    down = shim_lab.lab.run(shim_lab.h1, ifup.replace("ifup", "ifdown"), *common, SHIM, check=False)
    assert down.returncode == 0, down.stderr
    assert shim_lab.runtime() == {}


@pytest.mark.slow
def test_ifupdown_refused_when_interfaces_d_is_not_sourced(shim_lab):
    (shim_lab.root / "etc/network/interfaces").write_text("auto lo\niface lo inet loopback\n")
    failed = shim_lab.play("ifupdown", expect_failure=True)
    assert "does not source /etc/network/interfaces.d" in failed["out"]
    assert shim_lab.written() == {} and shim_lab.runtime() == {}


@pytest.mark.slow
def test_networkd_refused_without_a_parent_network_file(shim_lab):
    (shim_lab.root / "etc/systemd/network/10-eth0.network").write_text("[Match]\nName=eth1\n")
    failed = shim_lab.play("networkd", expect_failure=True)
    assert "host_shim_networkd_parent_network" in failed["out"]
    assert shim_lab.written() == {} and shim_lab.runtime() == {}


# ---- switching backends, auto, absent ------------------------------------------------------


@pytest.mark.slow
def test_switch_backends_auto_and_absent_leave_no_stale_files(shim_lab):
    shim_lab.play("systemd")
    expect_golden(shim_lab, "systemd")
    # NetworkManager running beside another backend (forced through the role's fact: no NetworkManager
    # in a lab) marks the shim unmanaged; the mark goes with the backend.
    shim_lab.play("networkd", host_shim__nm_running=True)
    expect_golden(shim_lab, "networkd-nm-unmanaged")
    shim_lab.play("networkmanager")
    expect_golden(shim_lab, "networkmanager")
    # auto: running daemons are not consulted (the root is not /); no ifupdown stanza of eth0 -> systemd
    shim_lab.play("auto")
    expect_golden(shim_lab, "systemd")
    with (shim_lab.root / "etc/network/interfaces").open("a") as handle:
        handle.write("\nallow-hotplug eth0\niface eth0 inet manual\n")
    shim_lab.play("auto")
    expect_golden(shim_lab, "ifupdown")
    assert shim_lab.runtime()["mac"] == MAC
    # a changed variable updates runtime and files in one run
    assert shim_lab.play("ifupdown", host_shim_routes=[ROUTES[0]])["changed"] > 0
    assert ROUTES[1] not in (shim_lab.root / "etc/network/interfaces.d" / f"host-shim-{SHIM}").read_text()
    assert [r.split()[0] for r in shim_lab.runtime()["routes"]] == [ROUTES[0]]
    shim_lab.play("ifupdown", host_shim_state="absent")
    assert shim_lab.written() == {} and shim_lab.runtime() == {}
    shim_lab.play("systemd")
    shim_lab.play("none")
    assert shim_lab.written() == {} and shim_lab.runtime()["mac"] == MAC
    assert not [p for p in shim_lab.root.rglob("*") if p.is_dir() and p.name.endswith((".d", ".wants"))
                and p.relative_to(shim_lab.root).as_posix() != "etc/network/interfaces.d"]
