"""A lab of network namespaces for real-kernel tests.

A lab is a "switch" namespace holding a Linux bridge, "host" namespaces joined to it
by veth pairs (the host end is named eth0 and is the macvlan parent), and "container"
namespaces. Everything is created inside namespaces the lab owns; nothing is created
in, moved out of, or changed in the root namespace. Names carry a per-run prefix that
includes the creating pid, so a sweep can remove labs whose creator is gone.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time

PREFIX = "lmvt"  # every namespace a test lab creates starts with this


def sh(*cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True, timeout=timeout)


def list_netns() -> list[str]:
    out = sh("ip", "-j", "netns", "list").stdout.strip()
    return [entry["name"] for entry in json.loads(out)] if out else []


def kill_netns_processes(ns: str) -> None:
    pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def delete_netns(ns: str) -> None:
    kill_netns_processes(ns)
    sh("ip", "netns", "del", ns, check=False)


def _creator_alive(ns: str, prefix: str) -> bool:
    """Lab names are <prefix><pid>x<random>-<role>: alive while that pid runs."""
    rest = ns[len(prefix):]
    pid = rest.split("x", 1)[0]
    if not pid.isdigit():
        return False
    return os.path.exists(f"/proc/{pid}")


def sweep_stale(prefix: str = PREFIX) -> list[str]:
    """Remove namespaces of labs whose creating process is gone (earlier crashed runs)."""
    removed = []
    for ns in list_netns():
        if ns.startswith(prefix) and not _creator_alive(ns, prefix):
            delete_netns(ns)
            removed.append(ns)
    return removed


class Lab:
    def __init__(self, prefix: str = PREFIX):
        self.prefix = f"{prefix}{os.getpid()}x{secrets.token_hex(3)}"
        self.namespaces: list[str] = []
        self.switch: str | None = None
        self.hosts: dict[str, dict] = {}
        self._port = 0

    # ---- building --------------------------------------------------------------------

    def ns(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    def add_netns(self, role: str) -> str:
        name = self.ns(role)
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        self.run(name, "ip", "link", "set", "lo", "up")
        # No IPv6 duplicate address detection in the lab: addresses are usable at once.
        for scope in ("all", "default"):
            self.run(name, "sysctl", "-qw", f"net.ipv6.conf.{scope}.accept_dad=0")
        return name

    def add_switch(self) -> str:
        self.switch = self.add_netns("sw")
        self.run(self.switch, "ip", "link", "add", "br0", "type", "bridge")
        self.run(self.switch, "ip", "link", "set", "br0", "up")
        return self.switch

    def add_host(self, role: str, address: str | None = None, ifname: str = "eth0") -> str:
        """A namespace joined to the switch by a veth pair; its end is `ifname`."""
        if self.switch is None:
            self.add_switch()
        name = self.add_netns(role)
        self._port += 1
        port = f"p{self._port}"
        # Both ends are created inside lab namespaces: the root namespace never sees them.
        self.run(self.switch, "ip", "link", "add", port, "type", "veth", "peer", "name", ifname, "netns", name)
        self.run(self.switch, "ip", "link", "set", port, "master", "br0")
        self.run(self.switch, "ip", "link", "set", port, "up")
        self.run(name, "ip", "link", "set", ifname, "up")
        if address:
            self.run(name, "ip", "addr", "add", address, "dev", ifname)
        self.hosts[role] = {"netns": name, "port": port, "ifname": ifname, "address": address}
        return name

    def add_container(self, role: str) -> str:
        return self.add_netns(role)

    def set_hairpin(self, role: str, on: bool = True) -> None:
        """vepa siblings talk only if the switch port reflects frames back (hairpin)."""
        port = self.hosts[role]["port"]
        self.run(self.switch, "ip", "link", "set", port, "type", "bridge_slave", "hairpin", "on" if on else "off")

    def destroy(self) -> None:
        for name in reversed(self.namespaces):
            delete_netns(name)
        self.namespaces.clear()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    # ---- inspecting (independent of the collection: iproute2 and ping only) ----------

    def run(self, ns: str, *cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        return sh("ip", "netns", "exec", ns, *cmd, check=check, timeout=timeout)

    def links(self, ns: str) -> list[dict]:
        return json.loads(sh("ip", "-n", ns, "-d", "-j", "link", "show").stdout)

    def link(self, ns: str, name: str) -> dict | None:
        result = sh("ip", "-n", ns, "-d", "-j", "link", "show", "dev", name, check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)[0]

    def addrs(self, ns: str, name: str | None = None) -> list[str]:
        cmd = ["ip", "-n", ns, "-j", "addr", "show"] + (["dev", name] if name else [])
        out = []
        for link in json.loads(sh(*cmd).stdout):
            for a in link.get("addr_info", []):
                if a.get("scope") == "global":
                    out.append(f"{a['local']}/{a['prefixlen']}")
        return sorted(out)

    def routes(self, ns: str, name: str | None = None, family: str = "-4") -> list[dict]:
        cmd = ["ip", family, "-n", ns, "-j", "route", "show"] + (["dev", name] if name else [])
        return json.loads(sh(*cmd).stdout)

    def snapshot(self, ns: str) -> str:
        """Everything the kernel says about a namespace's links, addresses and routes.
        Counters and timers are dropped so two snapshots of an unchanged namespace match."""
        links = json.loads(sh("ip", "-n", ns, "-d", "-j", "link", "show").stdout)
        for link in links:
            for volatile in ("stats", "stats64", "operstate"):
                link.pop(volatile, None)
            # A bridge's timers (gc_timer, hello_timer, ...) run down by themselves.
            info = link.get("linkinfo", {}).get("info_data", {})
            for key in [k for k in info if k.endswith("_timer")]:
                info.pop(key)
        addrs = []
        for link in json.loads(sh("ip", "-n", ns, "-j", "addr", "show").stdout):
            # Only what a task configures: DAD and lifetimes move on by themselves.
            addrs.append((link["ifname"], sorted((a["local"], a["prefixlen"], a.get("scope")) for a in link.get("addr_info", []))))
        routes = []
        for fam in ("-4", "-6"):
            for route in json.loads(sh("ip", fam, "-n", ns, "-j", "route", "show", "table", "all").stdout):
                # Kernel routes follow from links and addresses (compared above) and appear
                # asynchronously (IPv6 local routes after DAD), so they are left out.
                if route.get("protocol") != "kernel":
                    routes.append(route)
        return json.dumps({"links": links, "addrs": addrs, "routes": routes}, sort_keys=True)

    def ping(self, ns: str, address: str, count: int = 1, wait: float = 1.0, tries: int = 3) -> bool:
        """True if `address` answers from inside `ns`. Retries absorb the first ARP/ND exchange."""
        family = "-6" if ":" in address else "-4"
        for _attempt in range(tries):
            result = self.run(ns, "ping", family, "-c", str(count), "-W", str(wait), address, check=False, timeout=10 + count)
            if result.returncode == 0:
                return True
            time.sleep(0.2)
        return False
