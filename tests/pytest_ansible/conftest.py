"""pytest-ansible as a user's client: lab namespaces as Ansible hosts.

The modules and the role run through Ansible's real executor (pytest-ansible builds a play
and hands it to the TaskQueueManager: AnsiballZ packaging, the linuxnet.macvlan.netns
connection, module_defaults, the role's argument spec), against hosts that are network
namespaces of a lab built by tests/integration/lab.py with this suite's own prefix (lmvp).
Results are verified with `ip -j` inside the namespaces, never through the module under test.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from ansible.plugins.loader import init_plugin_loader

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tests" / "integration"))

from lab import Lab, list_netns, sh, sweep_stale  # noqa: E402  (needs the path above)

PREFIX = "lmvp"  # this suite's namespaces; integration tests use lmvt, Molecule lmvm-, the demo lmvd
COLLECTION = "linuxnet.macvlan"
# The generated inventory has a fixed path per run, so @pytest.mark.ansible(inventory=...) can
# name it at import time for the ansible_module fixture.
INVENTORY = Path(f"/tmp/{PREFIX}{os.getpid()}-inventory.yml")

# pytest-ansible resolves a module by its full name before it initialises Ansible's plugin
# loader itself: without this, the first `linuxnet.macvlan.*` call is "not found".
init_plugin_loader()


def runtime() -> dict:
    return yaml.safe_load((TOP / "meta" / "runtime.yml").read_text())


def action_group() -> tuple[str, list[str]]:
    """The collection's one action group: its module_defaults name and its modules."""
    groups = runtime()["action_groups"]
    assert len(groups) == 1, f"expected one action group, meta/runtime.yml has {sorted(groups)}"
    name, members = next(iter(groups.items()))
    return f"group/{COLLECTION}.{name}", members


def _root_state() -> tuple:
    links = json.loads(sh("ip", "-d", "-j", "link", "show").stdout)
    addrs = json.loads(sh("ip", "-j", "addr", "show").stdout)
    return (
        sorted((link["ifindex"], link["ifname"], link.get("address"), tuple(sorted(link.get("flags", [])))) for link in links),
        sorted((a["ifname"], tuple(sorted(i["local"] for i in a.get("addr_info", [])))) for a in addrs),
    )


class PaLab:
    """The lab of this suite: a switch, host h1 and a LAN peer on it, two container namespaces."""

    def __init__(self, lab: Lab, directory: Path):
        self.lab = lab
        self.dir = directory
        self.h1 = lab.add_host("h1", "10.79.0.1/24")
        self.lan = lab.add_host("lan", "10.79.0.254/24")
        self.c1 = lab.add_container("c1")
        self.c2 = lab.add_container("c2")
        self.missing = lab.ns("missing")  # named in the inventory, never created

    def write_inventory(self, path: Path) -> None:
        hosts = {
            name: {"ansible_netns_name": ns}
            for name, ns in (("h1", self.h1), ("lan", self.lan), ("c1", self.c1), ("c2", self.c2), ("missing", self.missing))
        }
        # The role's variables come from the inventory (pytest-ansible passes no task vars).
        hosts["h1"].update(
            host_shim_parent="eth0",
            host_shim_name="lmvp-shim",
            host_shim_addresses=["10.79.0.200/32"],
            host_shim_routes=["10.79.0.8/29"],
            host_shim_verify=["10.79.0.11"],
            host_shim_persist="none",
            host_shim_persist_root=str(self.dir / "h1-root"),
            host_shim_state_dir=str(self.dir / "h1-state"),
        )
        # A second name for h1 whose role variables are invalid: only the controller-side
        # argument-spec check must stop it.
        hosts["h1_bad_vars"] = dict(hosts["h1"], ansible_netns_name=self.h1, host_shim_mode="sideways")
        inventory = {
            "all": {
                "vars": {
                    "ansible_connection": f"{COLLECTION}.netns",
                    # Same filesystem: modules run with this Python (it has pyroute2).
                    "ansible_python_interpreter": sys.executable,
                    # Module files go to the lab's directory, removed with the lab.
                    "ansible_remote_tmp": str(self.dir / "remote-tmp"),
                    # pytest-ansible builds its VariableManager before it sets Ansible's CLI
                    # options, so the magic variables of the options are never defined; the
                    # role reads ansible_check_mode. pytest-ansible runs neither mode anyway.
                    "ansible_check_mode": False,
                    "ansible_diff_mode": False,
                    "lmvp_lan_netns": self.lan,
                    "lmvp_c2_netns": self.c2,
                },
                "hosts": hosts,
            }
        }
        path.write_text(yaml.safe_dump(inventory, sort_keys=False))


@pytest.fixture(scope="session", autouse=True)
def machine_network_untouched():
    """Every test of this directory (the README's example too) runs under this guard: root,
    stale lmvp namespaces of crashed runs swept first, the root namespace unchanged at the end."""
    if os.geteuid() != 0:
        pytest.exit("the pytest-ansible suite needs root (it creates network namespaces)", returncode=2)
    for tool in ("ip", "ping"):
        if shutil.which(tool) is None:
            pytest.exit(f"the pytest-ansible suite needs {tool!r} (run `make deps`)", returncode=2)
    if not os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        pytest.exit("set ANSIBLE_COLLECTIONS_PATH to the staged collection (make pytest-ansible does)", returncode=2)
    sweep_stale(PREFIX)
    before = _root_state()
    yield
    leftovers = [ns for ns in list_netns() if ns.startswith(f"{PREFIX}{os.getpid()}x")]
    assert not leftovers, f"lab namespaces left behind: {leftovers}"
    assert _root_state() == before, "the root namespace's links or addresses changed during the suite"


@pytest.fixture(scope="session")
def palab(tmp_path_factory):
    """The lab and its inventory; removed even when a test fails."""
    lab = Lab(prefix=PREFIX)
    try:
        lab.add_switch()
        the_lab = PaLab(lab, tmp_path_factory.mktemp("palab"))
        the_lab.write_inventory(INVENTORY)
        yield the_lab
    finally:
        lab.destroy()
        INVENTORY.unlink(missing_ok=True)


@pytest.fixture
def hosts(palab, ansible_adhoc):
    """pytest-ansible's host manager over the generated inventory."""
    return ansible_adhoc(inventory=str(INVENTORY), connection=f"{COLLECTION}.netns")


def run(hosts, host: str, module: str, *raw: str, **args) -> dict:
    """Run `module` (a full name) on one inventory host; its result as a plain dict."""
    result = getattr(hosts[host], module)(*raw, **args)
    return dict(result[host])
