"""Parallel runs against one real kernel: runs converging the same link all succeed (exactly one
creates it, the others report what they found), runs on one parent with different names all
succeed, parallel deletes all succeed, and Ansible with forks converges the role on several
namespace hosts and on two inventory aliases of one host.

"In step" runs are held, after they have read the kernel and planned, until one common instant
(a barrier patched in front of their first kernel write): every one of them planned a creation
that all but one then find answered EEXIST. Without the barrier the overlap is left to chance.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shim_lab import ADDRESSES, PLAYBOOK_BIN, ROUTES, SHIM

RUNS = 8
ADDRS = ["10.77.0.60/24", "fd00:77::60/64"]
LINK_ROUTES = [{"dst": "10.78.0.0/24"}, {"dst": "fd00:78::/64"}]

# Holds every write of a module run until the wall-clock instant AT (seconds since the epoch).
BARRIER = """
import time
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile import steps as _link_apply
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import writer as _netlink_write
def _held(original):
    def held(*args, **kwargs):
        time.sleep(max(0.0, {at} - time.time()))
        return original(*args, **kwargs)
    return held
_link_apply.LinkApplier.apply = _held(_link_apply.LinkApplier.apply)
_netlink_write.LinkWriter.create_many = _held(_netlink_write.LinkWriter.create_many)
"""


def parallel(modules, module: str, arg_list: list[dict], in_step: bool) -> list[dict]:
    # Each run imports Ansible and pyroute2 first (0.3-0.6 s on 2 cores): the barrier lies beyond that.
    fault = BARRIER.format(at=time.time() + 6.0) if in_step else None
    with ThreadPoolExecutor(len(arg_list)) as pool:
        return list(pool.map(lambda args: modules.run(module, args, diff=True, fault=fault), arg_list))


def failures(results: list[dict]) -> list[str]:
    return [f"{r.get('msg')} {r.get('exception', '')}" for r in results if r.get("failed") or r["_rc"] != 0]


def link_state(lab, ns, name) -> dict:
    link = lab.link(ns, name)
    routes = sorted(r["dst"] for fam in ("-4", "-6") for r in lab.routes(ns, name, fam)
                    if r.get("protocol") != "kernel" and not r["dst"].startswith("fe80"))
    return {"mode": link["linkinfo"]["info_data"]["mode"], "mac": link["address"], "up": "UP" in link["flags"],
            "addresses": lab.addrs(ns, name), "routes": routes}


@pytest.mark.parametrize("in_step", [True, False], ids=["in-step", "free"])
def test_parallel_runs_converging_the_same_link_all_succeed(host_lab, modules, in_step):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "netns": h1, "parent": "eth0", "mode": "bridge", "mac_address": "02:00:00:77:00:60",
            "addresses": ADDRS, "routes": LINK_ROUTES}
    results = parallel(modules, "macvlan_link", [args] * RUNS, in_step)
    assert not failures(results), failures(results)
    creators = [r for r in results if r["changed"] and r["diff"]["before"] == {}]
    assert len(creators) == 1, [(r["changed"], r["diff"]["before"]) for r in results]
    # The others report what they found: the link as another run made it (or was making it).
    for result in results:
        if result is not creators[0]:
            assert result["diff"]["before"]["name"] == "mv0"
        assert sorted(result["link"]["addresses"]) == sorted(ADDRS)
    assert link_state(host_lab, h1, "mv0") == {"mode": "bridge", "mac": "02:00:00:77:00:60", "up": True,
                                               "addresses": sorted(ADDRS), "routes": ["10.78.0.0/24", "fd00:78::/64"]}
    assert [link["ifname"] for link in host_lab.links(h1)].count("mv0") == 1
    assert not modules.ok("macvlan_link", args)["changed"]


def test_parallel_runs_converging_the_same_link_in_a_container_all_succeed(host_lab, modules):
    h1, c1 = host_lab.ns("h1"), host_lab.add_container("c1")
    args = {"name": "eth1", "netns": c1, "parent_netns": h1, "parent": "eth0", "mode": "bridge", "addresses": ["10.77.0.61/24"]}
    results = parallel(modules, "macvlan_netns", [args] * RUNS, in_step=True)
    assert not failures(results), failures(results)
    assert sum(1 for r in results if r["changed"] and r["diff"]["before"] == {}) == 1
    assert host_lab.addrs(c1, "eth1") == ["10.77.0.61/24"] and host_lab.link(h1, "eth1") is None
    assert host_lab.ping(c1, "10.77.0.254")


def test_parallel_macvlan_links_batches_converging_the_same_links_all_succeed(host_lab, modules):
    """Batched creations answered EEXIST are read again and converged, not failed."""
    h1 = host_lab.ns("h1")
    # Plain creations go out as one batch; the ones with an address run step by step: both paths race.
    config = [{"name": f"mvb{i}", "netns": h1, "parent_netns": h1, "parent": "eth0", "mode": "bridge"} for i in range(4)]
    config += [{"name": f"mva{i}", "netns": h1, "parent_netns": h1, "parent": "eth0", "mode": "bridge",
                "addresses": [f"10.77.1.{i + 1}/32"]} for i in range(2)]
    results = parallel(modules, "macvlan_links", [{"config": config}] * RUNS, in_step=True)
    assert not failures(results), failures(results)
    for i, entry in enumerate(config):
        created = [r for r in results if r["links"][i]["action"] == "created"]
        assert len(created) == 1, [r["links"][i]["action"] for r in results]
        assert host_lab.addrs(h1, entry["name"]) == entry.get("addresses", [])
        assert host_lab.link(h1, entry["name"])["linkinfo"]["info_data"]["mode"] == "bridge"
    assert not modules.ok("macvlan_links", {"config": config})["changed"]


def test_parallel_runs_with_different_names_then_parallel_deletes(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = [{"name": f"mvp{i}", "netns": h1, "parent": "eth0", "mode": "bridge", "addresses": [f"10.77.2.{i + 1}/24"]} for i in range(RUNS)]
    created = parallel(modules, "macvlan_link", args, in_step=True)
    assert not failures(created), failures(created)
    assert all(r["changed"] for r in created)
    macs = {link_state(host_lab, h1, f"mvp{i}")["mac"] for i in range(RUNS)}
    assert len(macs) == RUNS  # every run derived its own stable MAC
    deleted = parallel(modules, "macvlan_link", [dict(a, state="absent") for a in args], in_step=True)
    assert not failures(deleted), failures(deleted)
    assert all(r["changed"] for r in deleted)
    assert not [link for link in host_lab.links(h1) if link["ifname"].startswith("mvp")]


def test_deleting_the_same_link_in_parallel_all_succeed(host_lab, modules):
    h1 = host_lab.ns("h1")
    modules.ok("macvlan_link", {"name": "mvd", "netns": h1, "parent": "eth0", "mode": "bridge"})
    results = parallel(modules, "macvlan_link", [{"name": "mvd", "netns": h1, "state": "absent"}] * RUNS, in_step=True)
    assert not failures(results), failures(results)
    assert host_lab.link(h1, "mvd") is None


# ---- Ansible forks -----------------------------------------------------------------------


@pytest.mark.slow
def test_role_with_forks_on_several_hosts_and_on_two_aliases_of_one_host(shim_lab):
    """Three more hosts on h1's switch, and two inventory aliases of h1: forks=8 runs the role on
    all five at once, twice; every run succeeds and every host ends with its shim and its files."""
    lab = shim_lab.lab
    hosts = {"h1": shim_lab.h1, "h1alias": shim_lab.h1}
    for index in range(2, 5):
        hosts[f"h{index}"] = lab.add_host(f"h{index}", f"10.77.0.{index}/24")

    def host_vars(name: str, ns: str) -> dict:
        own = name if ns != shim_lab.h1 else "h1"  # the aliases share h1's shim, files and record
        number = int(own[1:])
        return {"ansible_connection": "linuxnet.macvlan.netns", "ansible_netns_name": ns, "ansible_python_interpreter": sys.executable,
                "host_shim_addresses": ADDRESSES if own == "h1" else [f"10.77.0.{240 + number}/32"],
                "host_shim_persist_root": str(shim_lab.tmp / f"root-{own}"), "host_shim_state_dir": str(shim_lab.tmp / f"state-{own}")}

    inventory = {"all": {"hosts": {name: host_vars(name, ns) for name, ns in hosts.items()},
                         "vars": {"host_shim_parent": "eth0", "host_shim_routes": ROUTES, "host_shim_persist": "systemd"}}}
    (shim_lab.tmp / "forks-inventory.yml").write_text(json.dumps(inventory))
    (shim_lab.tmp / "forks-play.yml").write_text(
        "---\n- name: Host shim\n  hosts: all\n  gather_facts: false\n  roles:\n    - role: linuxnet.macvlan.host_shim\n"
    )
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(shim_lab.staged), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_PIPELINING="1", ANSIBLE_LOCAL_TEMP=str(shim_lab.tmp / "ansible-local"),
               ANSIBLE_REMOTE_TEMP=str(shim_lab.tmp / "ansible-remote"))
    for _run in range(2):
        proc = subprocess.run([str(PLAYBOOK_BIN), "-i", str(shim_lab.tmp / "forks-inventory.yml"), "--forks", "8",
                               str(shim_lab.tmp / "forks-play.yml")], env=env, capture_output=True, text=True, timeout=600, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-5000:]
        recaps = re.findall(r"^(\S+)\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout, re.M)
        assert sorted(name for name, _u, _f in recaps) == sorted(hosts) and all(u == f == "0" for _n, u, f in recaps), out[-3000:]
    for name, ns in hosts.items():
        assert lab.addrs(ns, SHIM) == sorted(host_vars(name, ns)["host_shim_addresses"]), name
        assert (Path(host_vars(name, ns)["host_shim_persist_root"]) / f"etc/systemd/system/host-shim-{SHIM}.service").exists()
    assert shim_lab.reaches_containers()
