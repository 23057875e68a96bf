"""host_shim persistence backends, driven with ansible-playbook against namespace lab hosts.

Every file the role writes goes under a per-test persist root in tmp_path, and service actions
stay off (host_shim_persist_activate defaults to false when the root is not /): nothing here runs
systemctl, networkctl or nmcli, or touches the machine's /etc.

What is validated for real: the runtime shim, the files byte for byte (golden), the systemd unit's
ExecStart= commands run inside the namespace after deleting the shim (simulated reboot), the
ifupdown stanza brought up by Debian's own ifup (when installed), `systemd-analyze verify` of the
unit (when it can run). What is static: networkd files against the keys systemd.netdev(5) and
systemd.network(5) document, the NetworkManager keyfile against nm-settings-keyfile(5) (no
NetworkManager on the test machines: its package starts a daemon in the root namespace).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lab import sh

TOP = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "host_shim"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"

MAC = "02:42:5e:77:00:fa"
SHIM = "macvlan-shim"
UNIT = f"host-shim-{SHIM}.service"
ADDRESSES = ["10.77.0.250/32", "fd00:77::250/128"]
ROUTES = ["10.77.0.200/31", "fd00:77::200/127"]
CONTAINERS = {"c1": ("10.77.0.200", "fd00:77::200"), "c2": ("10.77.0.201", "fd00:77::201")}
BACKENDS = ["systemd", "networkd", "networkmanager", "ifupdown"]

# Files the lab root starts with: the user's own configuration, which the role must never rewrite.
PARENT_NETWORK = "[Match]\nName=eth0\n\n[Network]\nAddress=10.77.0.1/24\n"
INTERFACES = "# interfaces(5)\nsource interfaces.d/*\n\nauto lo\niface lo inet loopback\n"
FIXTURE_FILES = {"etc/systemd/network/10-eth0.network": PARENT_NETWORK, "etc/network/interfaces": INTERFACES}

RECAP = re.compile(r"^h1\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@pytest.fixture(scope="session")
def staged(tmp_path_factory) -> Path:
    """One staged copy of the collection per session (ansible-playbook needs the real layout)."""
    root = tmp_path_factory.mktemp("stage")
    subprocess.run([str(TOP / "tests/tools/stage.sh")], env=dict(os.environ, STAGE_ROOT=str(root)),
                   check=True, capture_output=True, text=True, timeout=120)
    return root


class ShimLab:
    """host h1 (eth0 10.77.0.1/24) with two bridge-mode macvlan containers, and a persist root."""

    def __init__(self, lab, staged: Path, tmp_path: Path):
        self.lab, self.staged, self.tmp = lab, staged, tmp_path
        self.h1 = lab.ns("h1")
        self.root = tmp_path / "root"
        for rel, text in FIXTURE_FILES.items():
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.root / rel).write_text(text)
        for index, (name, (v4, v6)) in enumerate(CONTAINERS.items()):
            ns = lab.add_container(name)
            lab.run(self.h1, "ip", "link", "add", "link", "eth0", "name", f"mv{index}", "type", "macvlan", "mode", "bridge")
            lab.run(self.h1, "ip", "link", "set", f"mv{index}", "netns", ns)
            lab.run(ns, "ip", "addr", "add", f"{v4}/24", "dev", f"mv{index}")
            lab.run(ns, "ip", "addr", "add", f"{v6}/64", "dev", f"mv{index}")
            lab.run(ns, "ip", "link", "set", f"mv{index}", "up")
        (tmp_path / "inventory.yml").write_text(json.dumps({"all": {"hosts": {"h1": {
            "ansible_connection": "linuxnet.macvlan.netns",
            "ansible_netns_name": self.h1,
            "ansible_python_interpreter": sys.executable,
        }}}}))
        (tmp_path / "play.yml").write_text(
            "---\n- name: Host shim\n  hosts: h1\n  gather_facts: false\n"
            "  roles:\n    - role: linuxnet.macvlan.host_shim\n"
        )

    def play(self, backend: str | None = None, check: bool = False, expect_failure: bool = False, **variables) -> dict:
        """Run the role; returns {'changed': n, 'out': text}."""
        extra = {"host_shim_parent": "eth0", "host_shim_addresses": ADDRESSES, "host_shim_routes": ROUTES,
                 "host_shim_mac_address": MAC, "host_shim_persist_root": str(self.root)}
        if backend is not None:
            extra["host_shim_persist"] = backend
        extra.update(variables)
        extra = {k: v for k, v in extra.items() if v is not None}
        (self.tmp / "vars.json").write_text(json.dumps(extra))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(self.staged), ANSIBLE_STDOUT_CALLBACK="default",
                   ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(self.tmp / "ansible-local"),
                   ANSIBLE_REMOTE_TEMP=str(self.tmp / "ansible-remote"), ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_PIPELINING="1")
        cmd = [str(PLAYBOOK_BIN), "-i", str(self.tmp / "inventory.yml"), str(self.tmp / "play.yml"),
               "-e", f"@{self.tmp / 'vars.json'}"] + (["--check", "--diff"] if check else [])
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
        out = proc.stdout + proc.stderr
        if expect_failure:
            assert proc.returncode != 0, f"the role should have failed:\n{out[-3000:]}"
            return {"changed": None, "out": out}
        assert proc.returncode == 0, f"ansible-playbook failed ({proc.returncode}):\n{out[-5000:]}"
        recap = RECAP.search(proc.stdout)
        assert recap, proc.stdout[-2000:]
        return {"changed": int(recap.group(2)), "out": out}

    def four_steps(self, backend: str, **variables) -> None:
        """check -> apply -> apply (no change) -> check (no change)."""
        assert self.play(backend, check=True, **variables)["changed"] > 0
        assert self.play(backend, **variables)["changed"] > 0
        for check in (False, True):
            second = self.play(backend, check=check, **variables)
            assert second["changed"] == 0, f"not idempotent (check={check}):\n{second['out'][-4000:]}"

    # ---- what is on disk and in the kernel ------------------------------------------

    def written(self) -> dict[str, str]:
        """Every path under the root except the fixture files: file -> 'MODE', symlink -> '-> target'."""
        manifest = {}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if rel in FIXTURE_FILES:
                continue
            if path.is_symlink():
                manifest[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                manifest[rel] = f"{path.stat().st_mode & 0o7777:04o}"
        return manifest

    def runtime(self) -> dict:
        link = self.lab.link(self.h1, SHIM)
        if link is None:
            return {}
        # What macvlan_link manages of a route: destination, gateway, metric. (Scope is left out: the
        # module adds gateway-less IPv4 routes with scope global, iproute2 and networkd with scope link.)
        routes = sorted(f"{r['dst']} via={r.get('gateway')} metric={r.get('metric', 0)}"
                        for fam in ("-4", "-6") for r in self.lab.routes(self.h1, SHIM, fam)
                        if r.get("protocol") != "kernel" and not r["dst"].startswith("fe80"))
        return {"mac": link["address"], "mode": link["linkinfo"]["info_data"]["mode"], "parent": link.get("link"),
                "up": "UP" in link["flags"], "addresses": self.lab.addrs(self.h1, SHIM), "routes": routes}

    def reaches_containers(self) -> bool:
        return all(self.lab.ping(self.h1, address) for pair in CONTAINERS.values() for address in pair)


@pytest.fixture
def shim_lab(host_lab, staged, tmp_path) -> ShimLab:
    return ShimLab(host_lab, staged, tmp_path)


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
    """Static: no systemd-networkd here to load them."""
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
    "ipv4": {"method"}, "ipv6": {"method"},
}
NM_MODES = {"vepa": "1", "bridge": "2", "private": "3", "passthru": "4", "source": "5"}


def test_networkmanager_keyfile_is_valid():
    """Static: NetworkManager is not installed on the test machines (its package starts a daemon)."""
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
    which contain no $ or % specifiers); the -@:+! prefixes are systemd's, not the command's."""
    commands = []
    for section, key, value in parse_unit_style(unit):
        if section == "Service" and key == "ExecStart":
            assert "$" not in value and "%" not in value, f"specifier or variable systemd would expand: {value}"
            argv = shlex.split(value)
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
    assert f"address {before['mac']} " in text
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
    result = sh("systemd-analyze", "verify", "--man=no", str(shim_lab.root / "etc/systemd/system" / UNIT), check=False)
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
