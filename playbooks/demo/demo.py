"""One-command demo of linuxnet.macvlan on a fresh machine (`make demo`).

Builds a lab of network namespaces (never touching the machine's own network), runs the
collection's playbooks against it through the netns connection plugin, and proves with real
pings that containers on macvlans reach the LAN and each other, that the host cannot reach
them until the shim exists, and that a re-created macvlan gets the same DHCP lease back
thanks to its stable MAC. Exits 0 only when every expected cell holds.

  demo.py            build (or rebuild) the lab and run the demo; the lab stays up
  demo.py --clean    remove the lab
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parents[1]
VENV_BIN = TOP / ".venv" / "bin"
LAN = "10.80.0"
SHIM_IP = f"{LAN}.250"
SHIM_ADDRESS = f"{SHIM_IP}/32"
CONTAINER_RANGE = f"{LAN}.64/27"  # what the shim routes: static .65/.66 and the DHCP pool .80-.90
INTERNET = "198.51.100.1"  # an address "beyond" the LAN router


class Demo:
    def __init__(self, prefix: str, workdir: Path):
        self.prefix = prefix
        self.workdir = workdir
        self.ns = {role: f"{prefix}{role}" for role in ("switch", "lan", "dockerhost", "c1", "c2", "c3")}
        self.failures: list[str] = []

    # ---- plumbing ----------------------------------------------------------------------

    @staticmethod
    def sh(*cmd: str, check: bool = True, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), check=check, capture_output=True, text=True, timeout=timeout, env=env)

    def nsexec(self, role: str, *cmd: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return self.sh("ip", "netns", "exec", self.ns[role], *cmd, check=check, timeout=timeout)

    def ping(self, role: str, address: str, tries: int = 3) -> bool:
        for _attempt in range(tries):
            if self.nsexec(role, "ping", "-c", "1", "-W", "1", address, check=False, timeout=10).returncode == 0:
                return True
        return False

    def lab_namespaces(self) -> list[str]:
        out = self.sh("ip", "-j", "netns", "list").stdout.strip()
        return [n["name"] for n in json.loads(out)] if out else []

    # ---- lab ---------------------------------------------------------------------------

    def clean(self) -> None:
        for name in self.lab_namespaces():
            if name.startswith(self.prefix):
                for pid in self.sh("ip", "netns", "pids", name, check=False).stdout.split():
                    self.sh("kill", "-9", pid, check=False)
                self.sh("ip", "netns", "del", name, check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def preflight(self) -> None:
        if os.geteuid() != 0:
            sys.exit("demo: must run as root (it creates network namespaces)")
        for tool in ("ip", "ping", "dnsmasq", "busybox"):
            if shutil.which(tool) is None:
                sys.exit(f"demo: {tool!r} is missing; run `make demo` (it installs what the demo needs)")
        probe = f"{self.prefix}probe"
        self.sh("ip", "netns", "add", probe)
        try:
            self.sh("ip", "-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
            made = self.sh("ip", "-n", probe, "link", "add", "link", "v0", "name", "m0", "type", "macvlan", "mode", "bridge", check=False)
            if made.returncode != 0:
                sys.exit(f"demo: this kernel cannot create macvlan links ({made.stderr.strip()}); load the macvlan module")
        finally:
            self.sh("ip", "netns", "del", probe, check=False)

    def build(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in self.ns.values():
            self.sh("ip", "netns", "add", name)
            self.sh("ip", "-n", name, "link", "set", "lo", "up")
        self.sh("ip", "-n", self.ns["switch"], "link", "add", "br0", "type", "bridge")
        self.sh("ip", "-n", self.ns["switch"], "link", "set", "br0", "up")
        for port, (role, address) in enumerate((("lan", f"{LAN}.1/24"), ("dockerhost", f"{LAN}.2/24")), start=1):
            # Both veth ends are created inside lab namespaces.
            self.sh("ip", "-n", self.ns["switch"], "link", "add", f"p{port}", "type", "veth", "peer", "name", "eth0", "netns", self.ns[role])
            self.sh("ip", "-n", self.ns["switch"], "link", "set", f"p{port}", "master", "br0", "up")
            self.sh("ip", "-n", self.ns[role], "addr", "add", address, "dev", "eth0")
            self.sh("ip", "-n", self.ns[role], "link", "set", "eth0", "up")
        self.sh("ip", "-n", self.ns["lan"], "addr", "add", f"{INTERNET}/32", "dev", "lo")
        self.sh("ip", "-n", self.ns["dockerhost"], "route", "add", "default", "via", f"{LAN}.1")
        self.nsexec("lan", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        # The LAN's DHCP server: state files in the lab directory, no DNS, only on the lab's eth0.
        self.nsexec(
            "lan", "dnsmasq", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces",
            f"--dhcp-range={LAN}.80,{LAN}.90,255.255.255.0,1h", f"--dhcp-option=3,{LAN}.1",
            f"--dhcp-leasefile={self.workdir / 'dnsmasq.leases'}", f"--pid-file={self.workdir / 'dnsmasq.pid'}",
        )

    # ---- ansible -----------------------------------------------------------------------

    def write_inventory(self) -> Path:
        inventory = {
            "all": {
                "hosts": {
                    "dockerhost": {
                        "ansible_connection": "linuxnet.macvlan.netns",
                        "ansible_netns_name": self.ns["dockerhost"],
                        "ansible_python_interpreter": sys.executable,
                    }
                },
                "children": {"macvlan_hosts": {"hosts": {"dockerhost": {}}}},
                "vars": {
                    "macvlan_parent": "eth0",
                    "macvlan_parent_promisc": True,
                    # The role records that it set the flag: in the lab directory, not the machine's /run.
                    "host_shim_state_dir": str(self.workdir / "host_shim_state"),
                    "macvlan_containers": [
                        {"netns": self.ns["c1"], "addresses": [f"{LAN}.65/24"], "gateway": f"{LAN}.1"},
                        {"netns": self.ns["c2"], "addresses": [f"{LAN}.66/24"], "gateway": f"{LAN}.1"},
                        {"netns": self.ns["c3"]},  # addressed by DHCP
                    ],
                    "host_shim_addresses": [SHIM_ADDRESS],
                    "host_shim_routes": [CONTAINER_RANGE],
                    "host_shim_verify": [f"{LAN}.65", f"{LAN}.66"],
                },
            }
        }
        path = self.workdir / "inventory.json"
        path.write_text(json.dumps(inventory, indent=2))
        return path

    def ansible_env(self) -> dict:
        return dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(TOP / "build" / "collections"),
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "tmp"),
            ANSIBLE_HOST_KEY_CHECKING="False",
            ANSIBLE_RETRY_FILES_ENABLED="False",
            ANSIBLE_NOCOLOR="1",
        )

    def playbook(self, name: str) -> None:
        print(f"  ansible-playbook playbooks/{name}")
        command = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory), str(TOP / "playbooks" / name)]
        result = self.sh(*command, env=self.ansible_env(), check=False, timeout=600)
        recap = [line for line in result.stdout.splitlines() if "dockerhost" in line and "ok=" in line]
        print(f"    {recap[-1].strip() if recap else result.stdout[-2000:]}")
        if result.returncode != 0:
            print(result.stdout[-4000:], result.stderr[-2000:])
            sys.exit(f"demo: playbooks/{name} failed")

    def module(self, module: str, args: dict) -> dict:
        """One ad-hoc module run on the docker host; its result comes from the tree callback."""
        tree = self.workdir / "tree"
        shutil.rmtree(tree, ignore_errors=True)
        env = dict(
            self.ansible_env(), ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.tree", ANSIBLE_CALLBACK_TREE_DIR=str(tree)
        )
        command = [str(VENV_BIN / "ansible"), "dockerhost", "-i", str(self.inventory), "-m", f"linuxnet.macvlan.{module}", "-a", json.dumps(args)]
        result = self.sh(*command, env=env, check=False)
        try:
            return json.loads((tree / "dockerhost").read_text())
        except (OSError, ValueError):
            sys.exit(f"demo: {module} gave no result:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")

    # ---- DHCP ----------------------------------------------------------------------------

    def dhcp(self, role: str) -> str | None:
        self.nsexec(role, "busybox", "udhcpc", "-i", "eth0", "-q", "-n", "-t", "5", "-T", "1", "-s", str(HERE / "udhcpc.script"), check=False, timeout=30)
        addrs = json.loads(self.sh("ip", "-n", self.ns[role], "-j", "-4", "addr", "show", "dev", "eth0").stdout)
        for link in addrs:
            for a in link.get("addr_info", []):
                return a["local"]
        return None

    def mac(self, role: str, ifname: str = "eth0") -> str:
        return json.loads(self.sh("ip", "-n", self.ns[role], "-j", "link", "show", "dev", ifname).stdout)[0]["address"]

    # ---- the story -----------------------------------------------------------------------

    def expect(self, label: str, got: bool, want: bool, rows: list) -> None:
        ok = got is want
        rows.append((label, "reachable" if got else "unreachable", "reachable" if want else "unreachable", "ok" if ok else "FAIL"))
        if not ok:
            self.failures.append(label)

    def run(self) -> int:
        print(f"== Building the lab (namespaces {self.prefix}*)")
        self.preflight()
        self.clean()
        self.build()
        self.inventory = self.write_inventory()

        print("== Containers get bridge-mode macvlans on the docker host's eth0")
        self.playbook("container_attach.yml")
        c3_ip = self.dhcp("c3")
        c3_mac = self.mac("c3")
        print(f"  c3 got {c3_ip} by DHCP (MAC {c3_mac})")
        if not c3_ip:
            self.failures.append("c3 got no DHCP lease")
            c3_ip = f"{LAN}.80"
        targets = {"c1": f"{LAN}.65", "c2": f"{LAN}.66", "c3": c3_ip}

        rows: list = []
        for name, ip in targets.items():
            self.expect(f"host -> {name} ({ip}) before the shim", self.ping("dockerhost", ip, tries=1), False, rows)

        print("== The host gets its shim (and the parent goes promiscuous)")
        self.playbook("macvlan_host.yml")
        print("== Re-running both playbooks changes nothing")
        self.playbook("container_attach.yml")
        self.playbook("macvlan_host.yml")

        for name, ip in targets.items():
            self.expect(f"host -> {name} ({ip}) after the shim", self.ping("dockerhost", ip), True, rows)
        for name, ip in targets.items():
            self.expect(f"{name} ({ip}) -> host shim {SHIM_IP}", self.ping(name, SHIM_IP), True, rows)
        self.expect("c1 -> c2", self.ping("c1", targets["c2"]), True, rows)
        self.expect("c2 -> c1", self.ping("c2", targets["c1"]), True, rows)
        self.expect("c1 -> c3", self.ping("c1", targets["c3"]), True, rows)
        for name, ip in targets.items():
            self.expect(f"lan -> {name} ({ip})", self.ping("lan", ip), True, rows)
        self.expect(f"host -> lan ({LAN}.1)", self.ping("dockerhost", f"{LAN}.1"), True, rows)
        self.expect(f"c1 -> beyond the router ({INTERNET})", self.ping("c1", INTERNET), True, rows)

        print("\n== Reachability, measured by real pings")
        self.table(("path", "measured", "expected", ""), rows)

        print("\n== Links reported by linuxnet.macvlan.macvlan_info (all_netns: true)")
        info = self.module("macvlan_info", {"all_netns": True})
        links = [l for l in info.get("links", []) if (l.get("netns") or "").startswith(self.prefix) or l.get("netns") is None]
        host = self.ns["dockerhost"]  # where Ansible runs: macvlan_info reports it as null
        rows = []
        for link in links:
            parent_ns = link["parent_netns"] if "parent_netns" in link else link.get("netns")
            parent = f"{link.get('parent')} ({parent_ns or host})"
            rows.append((link.get("netns") or host, link["name"], parent, link["mode"], link["mac_address"], " ".join(link.get("addresses") or [])))
        self.table(("namespace", "name", "parent (namespace)", "mode", "mac", "addresses"), rows)
        if len(links) != 4:
            self.failures.append(f"macvlan_info listed {len(links)} demo links, expected 4 (3 containers + shim)")

        print("\n== DHCP: delete c3's macvlan, create it again, ask for a lease again")
        gone = self.module("macvlan_netns", {"name": "eth0", "netns": self.ns["c3"], "state": "absent"})
        print(f"  macvlan_netns state=absent: changed={gone.get('changed')}")
        self.playbook("container_attach.yml")
        again_mac = self.mac("c3")
        again_ip = self.dhcp("c3")
        same = again_ip == c3_ip and again_mac == c3_mac
        print(f"  before: {c3_ip} with MAC {c3_mac}\n  after:  {again_ip} with MAC {again_mac}  -> {'same lease' if same else 'DIFFERENT'}")
        if not same:
            self.failures.append("the re-created macvlan did not get the same lease")

        print()
        if self.failures:
            print("DEMO FAILED: " + "; ".join(self.failures))
            return 1
        print("Demo passed: every expected cell holds. The lab stays up; look inside with")
        print(f"  ip netns exec {self.ns['dockerhost']} ip -d -br link      (the host and its shim)")
        print(f"  ip netns exec {self.ns['c1']} ip -br addr                 (a container)")
        print("and remove it with `make demo-clean`.")
        return 0

    @staticmethod
    def table(header: tuple, rows: list) -> None:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
        for row in (header, *rows):
            print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="store_true", help="remove the demo lab and exit")
    parser.add_argument("--prefix", default="lmvd-", help="namespace name prefix (default: lmvd-)")
    parser.add_argument("--workdir", default=str(TOP / "build" / "demo"), help="lab directory (leases, inventory)")
    args = parser.parse_args()
    demo = Demo(args.prefix, Path(args.workdir))
    if args.clean:
        if os.geteuid() != 0:
            sys.exit("demo: must run as root")
        demo.clean()
        print(f"demo lab {args.prefix}* removed")
        return 0
    return demo.run()


if __name__ == "__main__":
    sys.exit(main())
