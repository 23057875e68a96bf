"""Real Docker/Podman engines in a lab, as module-scoped fixtures (one engine per test file).

The lab: a switch, a "docker host" h1 (eth0 10.78.0.1/24 and fd00:78::1/64, default route via the LAN
router) whose engine runs confined to h1's namespace (playbooks/demo/engine_lab.py), a LAN peer `lan`
(10.78.0.254, the router) and a second LAN segment on h1's eth1 (10.79.0.0/24, peer `lan2`) for
second NICs. Namespaces start with `lmve`, engine files live in a temporary directory /tmp/lmve-*;
both are swept when their creating process is gone, and removed at the end even when a test fails.
Importing a fixture into a test module registers it there (no conftest change).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lab import Lab, sh, sweep_stale
from modrun import ModuleRunner
from shim_lab import run_role_playbook

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "playbooks" / "demo"))
from engine_lab import Engine, unpack_engines  # noqa: E402  pylint: disable=wrong-import-position

PREFIX = "lmve"
WORK_PARENT = Path(tempfile.gettempdir())
ENGINE_CACHE = TOP / "build" / "engines"
TIMES_LOG = TOP / "build" / "engine-fixture-times.log"


def _creator_alive(path: Path) -> bool:
    pid = path.name[len(PREFIX) + 1:].split("x", 1)[0]
    return pid.isdigit() and os.path.exists(f"/proc/{pid}")


def sweep_stale_engines() -> None:
    """Engines of earlier runs whose creator is gone: kill every process that uses their directory."""
    stale = [p for p in WORK_PARENT.glob(f"{PREFIX}-*") if p.is_dir() and not _creator_alive(p)]
    if not stale:
        return
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            seen = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            seen += " " + os.readlink(proc / "cwd")
        except OSError:
            continue
        if any(str(p) in seen for p in stale):
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except ProcessLookupError:
                pass
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)


class EngineLab:
    """A lab whose host h1 runs one real engine."""

    def __init__(self, kind: str):
        sweep_stale(PREFIX)
        sweep_stale_engines()
        self.lab = Lab(PREFIX)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-{os.getpid()}x", dir=WORK_PARENT))
        self.engine: Engine | None = None
        try:
            lab = self.lab
            lab.add_switch()
            self.h1 = lab.add_host("h1", "10.78.0.1/24")
            self.lan = lab.add_host("lan", "10.78.0.254/24")
            for ns, addr in ((self.h1, "fd00:78::1/64"), (self.lan, "fd00:78::fe/64")):
                lab.run(ns, "ip", "addr", "add", addr, "dev", "eth0")
            lab.run(self.h1, "ip", "route", "add", "default", "via", "10.78.0.254")
            # A second segment for second NICs: h1's eth1 and its peer lan2, joined by a veth pair.
            self.lan2 = lab.add_netns("lan2")
            lab.run(self.h1, "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", self.lan2)
            lab.run(self.h1, "ip", "link", "set", "eth1", "up")
            lab.run(self.lan2, "ip", "addr", "add", "10.79.0.254/24", "dev", "eth0")
            lab.run(self.lan2, "ip", "link", "set", "eth0", "up")
            tools = unpack_engines(ENGINE_CACHE)
            self.engine = Engine(kind, self.h1, self.workdir, tools).start()
        except BaseException:
            self.close()
            raise
        self.modules = ModuleRunner(env=self.engine.env())

    def close(self) -> None:
        try:
            if self.engine is not None:
                self.engine.stop()
        finally:
            self.lab.destroy()
            shutil.rmtree(self.workdir, ignore_errors=True)


def _engine_lab(kind: str):
    """Build, yield, always tear down; the time spent on both ends goes to build/engine-fixture-times.log."""
    began = time.monotonic()
    the_lab = EngineLab(kind)
    setup = time.monotonic() - began
    try:
        yield the_lab
    finally:
        stop = time.monotonic()
        the_lab.close()
        TIMES_LOG.parent.mkdir(parents=True, exist_ok=True)
        with TIMES_LOG.open("a", encoding="utf-8") as log:
            log.write(f"{kind}: lab+engine start {setup:.2f} s (engine alone {the_lab.engine.start_seconds:.2f} s), "
                      f"stop+cleanup {time.monotonic() - stop:.2f} s\n")


@pytest.fixture(scope="module")
def docker_lab():
    yield from _engine_lab("docker")


@pytest.fixture(scope="module")
def podman_lab():
    yield from _engine_lab("podman")


class Views:
    """Lab.snapshot for named namespaces and for containers ("container:NAME"): a container's namespace is
    given a name only for the moment of the snapshot, so nothing else ever sees it under /run/netns."""

    def __init__(self, engine_lab: EngineLab):
        self.elab = engine_lab
        self.count = 0

    def snapshot(self, key: str) -> str:
        if not key.startswith("container:"):
            return self.elab.lab.snapshot(key)
        self.count += 1
        name = f"{self.elab.lab.prefix}-view{self.count}"
        sh("ip", "netns", "attach", name, str(self.elab.engine.pid(key.split(":", 1)[1])))
        try:
            return self.elab.lab.snapshot(name)
        finally:
            # Only the name goes: the container keeps its namespace.
            sh("ip", "netns", "del", name, check=False)

    def container_links(self, container: str) -> dict[str, dict]:
        """`ip -d -j link` inside a container, by name (through the engine's exec: the engine's own view)."""
        pid = self.elab.engine.pid(container)
        out = sh("nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-d", "-j", "link", "show").stdout
        return {link["ifname"]: link for link in json.loads(out)}

    def container_addrs(self, container: str, ifname: str) -> list[str]:
        pid = self.elab.engine.pid(container)
        out = json.loads(sh("nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-j", "addr", "show", "dev", ifname).stdout)
        return sorted(f"{a['local']}/{a['prefixlen']}" for link in out for a in link.get("addr_info", []) if a.get("scope") == "global")

    def container_routes(self, container: str, family: str = "-4") -> list[dict]:
        pid = self.elab.engine.pid(container)
        return json.loads(sh("nsenter", f"--net=/proc/{pid}/ns/net", "ip", family, "-j", "route", "show").stdout)


class RolePlays:
    """The host_shim role on the engine host h1, through ansible-playbook and the netns connection.
    The engine's client environment goes in the play's `environment:`, as a user's would."""

    def __init__(self, elab: EngineLab, staged: Path, tmp: Path):
        self.elab, self.staged, self.tmp = elab, staged, tmp
        engine_env = {k: v for k, v in elab.engine.env().items() if k in ("PATH", "DOCKER_HOST")}
        (tmp / "inventory.yml").write_text(json.dumps({"all": {"hosts": {"h1": {
            "ansible_connection": "linuxnet.macvlan.netns", "ansible_netns_name": elab.h1,
            "ansible_python_interpreter": sys.executable}}}}))
        (tmp / "play.yml").write_text(
            "---\n- name: Host shim\n  hosts: h1\n  gather_facts: false\n"
            f"  environment: {json.dumps(engine_env)}\n"
            "  roles:\n    - role: linuxnet.macvlan.host_shim\n"
        )

    def play(self, check: bool = False, expect_failure: bool = False, **variables) -> dict:
        extra = {"host_shim_state_dir": str(self.tmp / "state"), "host_shim_persist_root": str(self.tmp / "root")}
        extra.update(variables)
        return run_role_playbook(self.tmp, self.staged, str(self.tmp / "play.yml"), extra, check, expect_failure)

    def four_steps(self, **variables) -> None:
        """check -> apply -> apply (no change) -> check (no change)."""
        assert self.play(check=True, **variables)["changed"] > 0
        assert self.play(**variables)["changed"] > 0
        for check in (False, True):
            again = self.play(check=check, **variables)
            assert again["changed"] == 0, f"not idempotent (check={check}):\n{again['out'][-4000:]}"

    def shim(self, name: str = "macvlan-shim") -> dict:
        lab, h1 = self.elab.lab, self.elab.h1
        link = lab.link(h1, name)
        if link is None:
            return {}
        routes = sorted(r["dst"] for fam in ("-4", "-6") for r in lab.routes(h1, name, fam)
                        if r.get("protocol") != "kernel" and not r["dst"].startswith("fe80"))
        return {"parent": link.get("link"), "mode": link["linkinfo"]["info_data"]["mode"],
                "addresses": lab.addrs(h1, name), "routes": routes}
