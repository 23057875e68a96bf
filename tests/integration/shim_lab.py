"""A namespace lab host with a macvlan shim's surroundings, driven by the host_shim role through
ansible-playbook: host h1 (eth0 10.77.0.1/24), two bridge-mode macvlan containers on its LAN, and
a persistence root under the test's tmp_path (so nothing is written to the machine's /etc)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"

MAC = "02:42:5e:77:00:fa"
SHIM = "macvlan-shim"
ADDRESSES = ["10.77.0.250/32", "fd00:77::250/128"]
ROUTES = ["10.77.0.200/31", "fd00:77::200/127"]
CONTAINERS = {"c1": ("10.77.0.200", "fd00:77::200"), "c2": ("10.77.0.201", "fd00:77::201")}

# Files the lab root starts with: the user's own configuration, which the role must never rewrite.
PARENT_NETWORK = "[Match]\nName=eth0\n\n[Network]\nAddress=10.77.0.1/24\n"
INTERFACES = "# interfaces(5)\nsource interfaces.d/*\n\nauto lo\niface lo inet loopback\n"
FIXTURE_FILES = {"etc/systemd/network/10-eth0.network": PARENT_NETWORK, "etc/network/interfaces": INTERFACES}

RECAP = re.compile(r"^h1\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def stage_collection(root: Path) -> Path:
    """A staged copy of the collection under root (ansible-playbook needs the real layout)."""
    subprocess.run([str(TOP / "tests/tools/stage.sh")], env=dict(os.environ, STAGE_ROOT=str(root)),
                   check=True, capture_output=True, text=True, timeout=120)
    return root


class ShimLab:
    """host h1 (eth0 10.77.0.1/24) with two bridge-mode macvlan containers, and a persist root."""

    def __init__(self, lab, staged: Path, tmp_path: Path):
        self.lab, self.staged, self.tmp = lab, staged, tmp_path
        self.h1 = lab.ns("h1")
        self.root = tmp_path / "root"
        self.state_dir = tmp_path / "state"
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
        extra = {"host_shim_parent": "eth0"}
        if backend is not None:
            extra["host_shim_persist"] = backend
        extra.update(variables)
        return self._run(str(self.tmp / "play.yml"), extra, check, expect_failure)

    def playbook(self, name: str, check: bool = False, **variables) -> dict:
        """Run one of the collection's playbooks (by FQCN, from the staged copy) on h1."""
        extra = {"macvlan_hosts_group": "h1", "macvlan_parent": "eth0"}
        extra.update(variables)
        return self._run(f"linuxnet.macvlan.{name}", extra, check, expect_failure=False)

    def _run(self, playbook: str, variables: dict, check: bool, expect_failure: bool) -> dict:
        # The record of a promiscuous parent goes to the test's own directory, never the machine's /run.
        extra = {"host_shim_addresses": ADDRESSES, "host_shim_routes": ROUTES, "host_shim_mac_address": MAC,
                 "host_shim_persist_root": str(self.root), "host_shim_state_dir": str(self.state_dir)}
        extra.update(variables)
        extra = {k: v for k, v in extra.items() if v is not None}
        return run_role_playbook(self.tmp, self.staged, playbook, extra, check, expect_failure)

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

    def parent_promisc(self) -> bool:
        """The PROMISC flag of h1's eth0, as iproute2 reports it."""
        return "PROMISC" in self.lab.link(self.h1, "eth0")["flags"]

    def reaches_containers(self) -> bool:
        return all(self.lab.ping(self.h1, address) for pair in CONTAINERS.values() for address in pair)


def run_role_playbook(tmp: Path, staged: Path, playbook: str, variables: dict, check: bool, expect_failure: bool) -> dict:
    """ansible-playbook with `tmp`'s inventory and `variables` (through a file), the staged collection,
    private temp directories; the changed count of h1's recap (None when the run must fail)."""
    (tmp / "vars.json").write_text(json.dumps(variables))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(staged), ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
               ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-remote"), ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_PIPELINING="1")
    cmd = [str(PLAYBOOK_BIN), "-i", str(tmp / "inventory.yml"), playbook,
           "-e", f"@{tmp / 'vars.json'}"] + (["--check", "--diff"] if check else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    if expect_failure:
        assert proc.returncode != 0, f"the role should have failed:\n{out[-3000:]}"
        return {"changed": None, "out": out}
    assert proc.returncode == 0, f"ansible-playbook failed ({proc.returncode}):\n{out[-5000:]}"
    recap = RECAP.search(proc.stdout)
    assert recap, proc.stdout[-2000:]
    return {"changed": int(recap.group(2)), "out": out}
