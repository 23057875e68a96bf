# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks of linuxnet.macvlan measured side by side with iproute2 (`ip`).

Run as root from the collection root: `.venv/bin/python benchmarks/run.py` (or `make bench`).
Everything happens inside lab namespaces (tests/integration/lab.py); nothing touches the
root namespace. Prints a table and writes JSON to benchmarks/results/. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "integration"))

from lab import Lab  # noqa: E402  pylint: disable=wrong-import-position
from links_module import bench_links_module  # noqa: E402  pylint: disable=wrong-import-position

PY = sys.executable
BIN = Path(PY).parent
RESULTS = TOP / "benchmarks" / "results"
MODULE = "ansible_collections.linuxnet.macvlan.plugins.modules.macvlan_link"
# Importing the backend (_netlink.py: pyroute2's submodules, as a module run does), timed after
# what every module imports anyway.
PYROUTE2_IMPORT_SNIPPET = (
    "import sys, time, ansible.module_utils.basic\n"
    "sys.path.insert(0, {stage!r})\n"
    "t = time.perf_counter()\n"
    "from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import namespace_socket as _netlink\n"
    "from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import compat as _pyroute2\n"
    "assert _pyroute2.HAS_PYROUTE2\n"
    "print(time.perf_counter() - t)\n"
)
# For comparison: pyroute2 imported as a package (its __init__ loads every socket class).
PYROUTE2_PACKAGE_SNIPPET = (
    "import time, ansible.module_utils.basic\n"
    "t = time.perf_counter()\n"
    "from pyroute2 import IPRoute\n"
    "print(time.perf_counter() - t)\n"
)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict | None = None, stdin: str | None = None) -> dict:
    """Wall and CPU seconds (this process's waited-for children) of one command."""
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, check=False, timeout=3600)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])}... failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return {"wall": wall, "cpu": children_cpu() - cpu, "stdout": proc.stdout}


def machine() -> dict:
    cpu_model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    versions = subprocess.run([PY, "-c", "import ansible, pyroute2; print(ansible.__version__, pyroute2.__version__)"],
                              capture_output=True, text=True, check=False).stdout.split()
    ip_version = subprocess.run(["ip", "-V"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "ansible_core": versions[0] if versions else None,
        "pyroute2": versions[1] if len(versions) > 1 else None,
        "iproute2": ip_version,
        "loadavg_start": os.getloadavg(),
    }


class Bench:
    """Shared plumbing: a private staged copy of the collection and an Ansible runner."""

    def __init__(self, workdir: Path, runs: int):
        self.workdir = workdir
        self.runs = runs
        self.stage = workdir / "stage"
        subprocess.run([str(TOP / "tests" / "tools" / "stage.sh")], env=dict(os.environ, STAGE_ROOT=str(self.stage)),
                       check=True, capture_output=True)
        (workdir / "tmp").mkdir()
        self.env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(self.stage),
            ANSIBLE_CALLBACK_PLUGINS=str(TOP / "benchmarks" / "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="bench_timer",
            ANSIBLE_PIPELINING="True",
            ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
            ANSIBLE_REMOTE_TEMP=str(workdir / "tmp"),
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_HOST_KEY_CHECKING="False",
            ANSIBLE_RETRY_FILES_ENABLED="False",
        )
        self.counter = 0

    def inventory(self, hosts: dict[str, str]) -> Path:
        """hosts: inventory name -> lab namespace."""
        lines = ["all:", "  vars:", "    ansible_connection: linuxnet.macvlan.netns", f"    ansible_python_interpreter: {PY}", "  hosts:"]
        for name, ns in hosts.items():
            lines += [f"    {name}:", f"      ansible_netns_name: {ns}"]
        self.counter += 1
        path = self.workdir / f"inventory{self.counter}.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def playbook(self, inventory: Path, text: str, forks: int | None = None, expect_changed: bool | None = None) -> dict:
        self.counter += 1
        book = self.workdir / f"playbook{self.counter}.yml"
        book.write_text(text, encoding="utf-8")
        times = self.workdir / f"times{self.counter}.json"
        env = dict(self.env, LMV_BENCH_TIMES=str(times))
        if forks:
            env["ANSIBLE_FORKS"] = str(forks)
        result = timed([str(BIN / "ansible-playbook"), "-i", str(inventory), str(book)], env=env)
        data = json.loads(times.read_text(encoding="utf-8"))
        if data["failed"]:
            raise RuntimeError(f"{book} failed:\n{result['stdout'][-3000:]}")
        if expect_changed is not None and bool(data["changed"]) != expect_changed:
            raise RuntimeError(f"{book}: expected changed={expect_changed}, got {data['changed']} changed tasks")
        events = data["events"]
        tasks = []
        for i, (kind, name, start) in enumerate(events[:-1]):
            if kind == "task":
                tasks.append((name, events[i + 1][2] - start))
        plays = [e[2] for e in events if e[0] == "play"]
        result["play"] = events[-1][2] - plays[0] if plays else result["wall"]
        result["tasks"] = tasks
        del result["stdout"]
        return result

    def module_direct(self, ns: str, args: dict, module: str = MODULE) -> dict:
        """One module process as Ansible runs it on the host, without the controller."""
        self.counter += 1
        path = self.workdir / f"args{self.counter}.json"
        path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(self.stage))
        result = timed(["ip", "netns", "exec", ns, PY, "-m", module, str(path)], env=env)
        out = json.loads(result.pop("stdout"))
        if out.get("failed"):
            raise RuntimeError(f"{module.rsplit('.', 1)[-1]} failed: {out.get('msg')}")
        result["changed"] = out["changed"]
        return result


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def row(rows: list, measure: str, ours: float, theirs: float | None, target: float | None = None, note: str = "") -> None:
    r = ratio(ours, theirs) if theirs else None
    met = None if target is None or r is None else r <= target
    rows.append({"measure": measure, "collection_s": ours, "iproute2_s": theirs, "ratio": r, "target": target, "met": met, "note": note})


# ---- (1) per task ------------------------------------------------------------------------

def bench_per_task(b: Bench, rows: list, out: dict) -> None:
    tasks = 20
    link = "{name: mvb0, parent: eth0, mode: bridge}"
    lab = Lab()
    try:
        ns = lab.add_host("h1", "10.77.0.1/24")
        inv = b.inventory({"h1": ns})
        head = "---\n- name: Per task\n  hosts: all\n  gather_facts: false\n  tasks:\n"
        b.playbook(inv, head + f"    - name: create\n      linuxnet.macvlan.macvlan_link: {link}\n", expect_changed=True)
        body = ""
        for i in range(tasks):
            # Interleaved, so load from other processes hits both kinds alike.
            body += f"    - name: mv{i:02d}\n      linuxnet.macvlan.macvlan_link: {link}\n"
            body += f"    - name: ip{i:02d}\n      ansible.builtin.command: ip -d link show mvb0\n      changed_when: false\n"
        per_mv, per_ip, walls = [], [], []
        direct_mv, direct_ip, imports, package_imports = [], [], [], []
        args_file = {"name": "mvb0", "parent": "eth0", "mode": "bridge"}
        for _run in range(b.runs):
            res = b.playbook(inv, head + body, expect_changed=False)
            per_mv.append(sum(d for n, d in res["tasks"] if n.startswith("mv")) / tasks)
            per_ip.append(sum(d for n, d in res["tasks"] if n.startswith("ip")) / tasks)
            walls.append(res["wall"])
            for _i in range(3):
                direct_mv.append(b.module_direct(ns, args_file)["wall"])
                direct_ip.append(timed(["ip", "netns", "exec", ns, "ip", "-d", "link", "show", "mvb0"])["wall"])
                imports.append(float(timed([PY, "-c", PYROUTE2_IMPORT_SNIPPET.format(stage=str(b.stage))])["stdout"]))
                package_imports.append(float(timed([PY, "-c", PYROUTE2_PACKAGE_SNIPPET])["stdout"]))
        mv, ipt, imp = median(per_mv), median(per_ip), median(imports)
        row(rows, "(1) no-op task: macvlan_link vs command 'ip -d link show' (per task, in a playbook)", mv, ipt,
            note=f"pyroute2 import {imp:.3f}s = {100 * imp / mv:.0f}% of a macvlan_link task "
                 f"(as a package: {median(package_imports):.3f}s)")
        row(rows, "(1) the same, module process alone (no controller)", median(direct_mv), median(direct_ip),
            note=f"pyroute2 import = {100 * imp / median(direct_mv):.0f}% of the module process")
        out["per_task"] = {"tasks": tasks, "macvlan_link_task_s": per_mv, "command_task_s": per_ip, "playbook_wall_s": walls,
                           "module_direct_s": direct_mv, "ip_direct_s": direct_ip, "pyroute2_import_s": imports,
                           "pyroute2_package_import_s": package_imports}
    finally:
        lab.destroy()


# ---- (2) shim convergence, no-op rerun ---------------------------------------------------

HAND_SHIM_TASKS = """\
    - name: Look for the shim link
      ansible.builtin.command: ip -j link show {name}
      register: shim_link
      changed_when: false
      failed_when: false
    - name: Add the shim link
      ansible.builtin.command: ip link add {name} link {parent} type macvlan mode bridge
      when: shim_link.rc != 0
    - name: Look for the shim address
      ansible.builtin.command: ip -o addr show dev {name} to {address}
      register: shim_addr
      changed_when: false
    - name: Add the shim address
      ansible.builtin.command: ip addr add {address} dev {name}
      when: shim_addr.stdout == ''
    - name: Look at the shim flags
      ansible.builtin.command: ip -j link show {name}
      register: shim_flags
      changed_when: false
    - name: Bring the shim up
      ansible.builtin.command: ip link set {name} up
      when: "'UP' not in (shim_flags.stdout | from_json)[0].flags"
    - name: Look for the route to the containers
      ansible.builtin.command: ip route show {route} dev {name}
      register: shim_route
      changed_when: false
    - name: Add the route to the containers
      ansible.builtin.command: ip route add {route} dev {name}
      when: shim_route.stdout == ''
"""


def role_play(hosts: str, address_var: str, route: str) -> str:
    return (
        f"---\n- name: Shim\n  hosts: {hosts}\n  gather_facts: false\n  roles:\n"
        "    - role: linuxnet.macvlan.host_shim\n      vars:\n"
        "        host_shim_parent: eth0\n"
        f"        host_shim_addresses: [\"{address_var}\"]\n"
        f"        host_shim_routes: [{route}]\n"
    )


def shim_rows(rows: list, role_runs: list, hand_runs: list) -> None:
    """The (2) rows from the timed runs (also used to re-derive them from stored raw data)."""
    def task_s(runs: list, needle: str) -> float:
        return median([sum(d for n, d in r["tasks"] if needle in n) for r in runs])

    role_wall, hand_wall = median([r["wall"] for r in role_runs]), median([r["wall"] for r in hand_runs])
    role_play_s, hand_play_s = median([r["play"] for r in role_runs]), median([r["play"] for r in hand_runs])
    predict, scan = task_s(role_runs, "Predict what converging"), task_s(role_runs, "Find the persistence files")
    others = len(role_runs[0]["tasks"]) - 2
    row(rows, "(2) shim no-op rerun: host_shim role vs hand-written ip tasks (ansible-playbook wall)", role_wall, hand_wall, 1.0,
        note="iproute2 column = hand-written tasks")
    row(rows, "(2) the same, play time only (without ansible-playbook start-up)", role_play_s, hand_play_s, 1.0,
        note=f"role: check-mode macvlan_link {predict:.2f}s, persistence-file find {scan:.2f}s, {others} other tasks "
             f"{role_play_s - predict - scan:.2f}s")
    row(rows, "(2) role's one module run (check-mode macvlan_link) vs the 8 hand-written tasks", predict, hand_play_s)


def bench_shim(b: Bench, rows: list, out: dict) -> None:
    route = "10.77.0.192/27"
    lab = Lab()
    try:
        role_ns = lab.add_host("role", "10.77.0.1/24")
        hand_ns = lab.add_host("hand", "10.77.0.2/24")
        inv = b.inventory({"role": role_ns, "hand": hand_ns})
        role_book = role_play("role", "10.77.0.250/32", route)
        hand_book = ("---\n- name: Shim by hand\n  hosts: hand\n  gather_facts: false\n  tasks:\n"
                     + HAND_SHIM_TASKS.format(name="macvlan-shim", parent="eth0", address="10.77.0.251/32", route=route))
        b.playbook(inv, role_book, expect_changed=True)
        b.playbook(inv, hand_book, expect_changed=True)
        role_runs, hand_runs = [], []
        for _run in range(b.runs):
            role_runs.append(b.playbook(inv, role_book, expect_changed=False))
            hand_runs.append(b.playbook(inv, hand_book, expect_changed=False))
        shim_rows(rows, role_runs, hand_runs)
        out["shim"] = {"role": role_runs, "hand": hand_runs}
    finally:
        lab.destroy()


# ---- (3) many links ----------------------------------------------------------------------

def batch_file(b: Bench, lines: list[str]) -> Path:
    b.counter += 1
    path = b.workdir / f"batch{b.counter}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def links_play(names_expr: str, state: str) -> str:
    extra = "parent: eth0\n        mode: bridge\n" if state == "present" else "state: absent\n"
    return (
        "---\n- name: Many links\n  hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - name: links\n      linuxnet.macvlan.macvlan_link:\n"
        f"        name: \"{{{{ item }}}}\"\n        {extra}"
        f"      loop: \"{names_expr}\"\n"
    )


def loop_cost(res: dict, items: int, total_items: int) -> float:
    """Playbook wall time with the loop task scaled from `items` to `total_items` items."""
    loop = sum(d for n, d in res["tasks"] if n == "links")
    return res["wall"] - loop + loop * total_items / items


def backend_profile(b: Bench, ns: str, count: int, sample: int) -> dict:
    """In-process (one socket, no module start-up): what the backend costs for `count` links.

    Also counts the netlink requests of one no-op run of the engine's observe + plan, the evidence for backend fixes."""
    script = f"""
import json, sys, time
sys.path.insert(0, {str(b.stage)!r})
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import MACVLAN_KINDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import LinkEntry
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.plan import plan_links
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_options import LINK_ARGUMENT_SPEC, desired_link
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import LinkSpec
names = [f"mvb{{i}}" for i in range({count})]
out = {{}}
with Netlink({ns!r}) as nl:
    calls = {{}}
    for kind in ("link", "addr", "route"):
        real = getattr(nl.rt, kind)
        def wrapper(cmd, *a, _real=real, _kind=kind, **kw):
            key = f"{{_kind}} {{cmd}}"
            calls[key] = calls.get(key, 0) + 1
            return _real(cmd, *a, **kw)
        setattr(nl.rt, kind, wrapper)
    parent = nl.read_link(name="eth0", with_ip=False)
    t = time.perf_counter()
    for name in names:
        nl.create_macvlan(LinkSpec(name, "macvlan", "eth0", parent.ifindex, "bridge", None, None, None, None, None, [], [], [], True))
        nl.set_link(nl.ifindex_of(name), {{"up": True}})
    out["create_s"] = time.perf_counter() - t
    t = time.perf_counter()
    dumped = nl.dump_links(MACVLAN_KINDS, with_ip=False)
    out["one_dump_s"] = time.perf_counter() - t
    out["dumped"] = len(dumped)
    params = {{k: v.get("default") for k, v in LINK_ARGUMENT_SPEC.items()}}
    def noop(name):
        desired = desired_link(dict(params, name=name, parent="eth0", mode="bridge", mac_address_policy="random"), {ns!r}, None)
        pool = NamespacePool(open_socket=lambda netns: nl)
        pool.close = lambda: None  # the profiled socket stays open for the next call
        (item,) = plan_links(pool, [LinkEntry(0, None, {ns!r}, "eth0", {ns!r}, desired)], overridden=False)
        assert not item.plan.changed, item.plan
    calls.clear()
    t = time.perf_counter()
    noop(names[-1])
    out["one_noop_s"] = time.perf_counter() - t
    out["one_noop_calls"] = dict(calls)
    t = time.perf_counter()
    nl.read_link(name=names[-1])
    out["read_link_s"] = time.perf_counter() - t
    # Each no-op dumps every link and route, so all N of them is quadratic: time a sample, scale.
    checked = names[-{sample}:]
    t = time.perf_counter()
    for name in checked:
        noop(name)
    out["all_noop_s"] = (time.perf_counter() - t) * len(names) / len(checked)
    out["all_noop_timed"] = len(checked)
    t = time.perf_counter()
    for state in dumped:
        nl.delete_link(state.ifindex)
    out["delete_s"] = time.perf_counter() - t
    # The many-links design's create: one RTM_NEWLINK per link that also brings it up, and no
    # lookup of the new ifindex (today: add, get by name, set up).
    t = time.perf_counter()
    for name in names:
        nl.rt.link("add", ifname=name, kind="macvlan", link=parent.ifindex, macvlan_mode="bridge", state="up")
    out["create_one_request_s"] = time.perf_counter() - t
    out["created_up"] = sum(1 for state in nl.dump_links(MACVLAN_KINDS, with_ip=False) if state.up)
    for state in nl.dump_links(MACVLAN_KINDS, with_ip=False):
        nl.delete_link(state.ifindex)
print(json.dumps(out))
"""
    return json.loads(timed([PY, "-c", script])["stdout"])


def bench_many_links(b: Bench, rows: list, out: dict, sizes: list[int], full_limit: int, sample: int) -> None:
    lab = Lab()
    results = {}
    try:
        ns = lab.add_host("h1", "10.77.0.1/24")
        inv = b.inventory({"h1": ns})
        for n in sizes:
            names = [f"mvb{i}" for i in range(n)]
            # The collection's default end state: created and up (macvlan_link's up defaults to true).
            add = batch_file(b, [f"link add {x} link eth0 type macvlan mode bridge" for x in names] + [f"link set {x} up" for x in names])
            delete = batch_file(b, [f"link del {x}" for x in names])
            full = n <= full_limit
            measured = names if full else names[-sample:]
            expr = f"{{{{ range({n - len(measured)}, {n}) | map('regex_replace', '^', 'mvb') | list }}}}"
            pre = batch_file(b, [f"link add {x} link eth0 type macvlan mode bridge" for x in names[:n - len(measured)]])
            rest = batch_file(b, [f"link del {x}" for x in names[:n - len(measured)]])
            runs = b.runs if full and n * b.runs <= 3 * full_limit else (1 if full else b.runs)
            r: dict = {"n": n, "full": full, "items_measured": len(measured), "runs": runs,
                       "ip_create": [], "ip_show": [], "ip_delete": [], "mv_create": [], "mv_check": [], "mv_delete": [],
                       "mv_direct_check": []}
            for _run in range(runs):
                # iproute2, then the collection, in the same run (same load).
                r["ip_create"].append(timed(["ip", "-n", ns, "-batch", str(add)])["wall"])
                r["ip_show"].append(timed(["ip", "-n", ns, "-d", "link", "show"])["wall"])
                r["ip_delete"].append(timed(["ip", "-n", ns, "-batch", str(delete)])["wall"])
                if not full:
                    timed(["ip", "-n", ns, "-batch", str(pre)])
                res = b.playbook(inv, links_play(expr, "present"), expect_changed=True)
                r["mv_create"].append(loop_cost(res, len(measured), n))
                res = b.playbook(inv, links_play(expr, "present"), expect_changed=False)
                r["mv_check"].append(loop_cost(res, len(measured), n))
                r["mv_direct_check"].append(b.module_direct(ns, {"name": names[-1], "parent": "eth0", "mode": "bridge"})["wall"])
                res = b.playbook(inv, links_play(expr, "absent"), expect_changed=True)
                r["mv_delete"].append(loop_cost(res, len(measured), n))
                if not full:
                    timed(["ip", "-n", ns, "-batch", str(rest)])
            r["backend"] = backend_profile(b, ns, n, sample)
            results[n] = r
            how = f"median of {runs}" if full else f"{sample} of {n} items timed, scaled to {n}; median of {runs}"
            row(rows, f"(3) N={n} create: macvlan_link loop vs ip -batch", median(r["mv_create"]), median(r["ip_create"]),
                2.0 if n == 1000 else None, how)
            row(rows, f"(3) N={n} no-op re-check: macvlan_link loop vs ip -d link show", median(r["mv_check"]), median(r["ip_show"]),
                5.0 if n == 1000 else None, how)
            row(rows, f"(3) N={n} delete: macvlan_link state=absent loop vs ip -batch", median(r["mv_delete"]), median(r["ip_delete"]), None, how)
            be = r["backend"]
            row(rows, f"(3) N={n} one no-op module process (direct, 1 link) vs ip -d link show", median(r["mv_direct_check"]), median(r["ip_show"]),
                note="one module process per item")
            row(rows, f"(3) N={n} backend in one process, create all (one socket)", be["create_s"], median(r["ip_create"]),
                note="prototype of a many-links task, without start-up")
            row(rows, f"(3) N={n} backend in one process, create all, one request per link (design)", be["create_one_request_s"],
                median(r["ip_create"]), note=f"add with IFF_UP, no lookup; {be['created_up']} of {n} came up")
            row(rows, f"(3) N={n} backend in one process, one link dump vs ip -d link show", be["one_dump_s"], median(r["ip_show"]),
                note="prototype check of all links (kinds filtered in Python)")
            row(rows, f"(3) N={n} backend in one process, reconcile_link no-op for every link", be["all_noop_s"], median(r["ip_show"]),
                note=f"{be['all_noop_timed']} of {n} timed, scaled; netlink requests per link: {be['one_noop_calls']}")
            row(rows, f"(3) N={n} backend in one process, delete all", be["delete_s"], median(r["ip_delete"]))
        out["many_links"] = results
    finally:
        lab.destroy()


# ---- (4) many hosts ----------------------------------------------------------------------

def bench_many_hosts(b: Bench, rows: list, out: dict, counts: list[int]) -> None:
    forks = os.cpu_count() or 1
    lab = Lab()
    results = {}
    try:
        hosts = {}
        for i in range(max(counts)):
            hosts[f"h{i:03d}"] = lab.add_host(f"h{i:03d}", f"10.78.0.{i + 1}/16")
        book = role_play("all", "{{ shim_address }}", "10.78.200.0/24")
        for k in counts:
            chosen = dict(list(hosts.items())[:k])
            lines = ["all:", "  vars:", "    ansible_connection: linuxnet.macvlan.netns", f"    ansible_python_interpreter: {PY}", "  hosts:"]
            for i, (name, ns) in enumerate(chosen.items()):
                lines += [f"    {name}:", f"      ansible_netns_name: {ns}", f"      shim_address: 10.78.1.{i + 1}/32"]
            b.counter += 1
            inv = b.workdir / f"inventory{b.counter}.yml"
            inv.write_text("\n".join(lines) + "\n", encoding="utf-8")
            for ns in chosen.values():
                lab.run(ns, "ip", "link", "del", "macvlan-shim", check=False)
            converge = b.playbook(inv, book, forks=forks, expect_changed=True)["wall"]
            # Budget: K=50 takes minutes per run on 2 cores, so larger K get one no-op run.
            noop = [b.playbook(inv, book, forks=forks, expect_changed=False)["wall"] for _run in range(b.runs if k <= 10 else 1)]
            results[k] = {"converge_s": converge, "noop_s": noop}
        out["many_hosts"] = {"forks": forks, "results": results}
        for k in counts:
            row(rows, f"(4) host_shim no-op rerun, K={k} hosts, forks={forks}", median(results[k]["noop_s"]), None,
                note=f"first converge {results[k]['converge_s']:.1f}s")
        if 10 in results and 50 in results:
            noop_ratio = median(results[50]["noop_s"]) / median(results[10]["noop_s"])
            conv_ratio = results[50]["converge_s"] / results[10]["converge_s"]
            rows.append({"measure": "(4) T(50)/T(10), no-op rerun", "collection_s": None, "iproute2_s": None, "ratio": noop_ratio,
                         "target": 5.5, "met": noop_ratio <= 5.5, "note": f"first converge: {conv_ratio:.2f}"})
    finally:
        lab.destroy()


# ---- output ------------------------------------------------------------------------------

def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if value < 100 else f"{value:.0f}"


def table(rows: list) -> str:
    lines = [
        "| measurement | collection s | iproute2 s | ratio | target | met | note |",
        "|---|---:|---:|---:|---:|:---:|---|",
    ]
    for r in rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
        target = f"<= {r['target']}" if r["target"] is not None else ""
        lines.append(f"| {r['measure']} | {fmt(r['collection_s'], 3)} | {fmt(r['iproute2_s'], 3)} | {fmt(r['ratio'])} | {target} | {met} | {r['note']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median is reported)")
    parser.add_argument("--only", nargs="*", choices=["per_task", "shim", "many_links", "links_module", "many_hosts"], help="run only these")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 1000], help="N for (3)")
    parser.add_argument("--hosts", type=int, nargs="*", default=[1, 10, 50], help="K for (4)")
    parser.add_argument("--links-sizes", type=int, nargs="*", default=[1, 10, 100, 1000], help="N for (5), macvlan_links")
    parser.add_argument("--containers", type=int, default=50, help="(5): containers given one macvlan each")
    parser.add_argument("--full-limit", type=int, default=10,
                        help="(3): larger N time only --sample links through Ansible and scale (see README)")
    parser.add_argument("--sample", type=int, default=10, help="(3): links timed through Ansible above --full-limit")
    parser.add_argument("--json", type=Path, help="where to write the results (default benchmarks/results/<time>.json)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("benchmarks/run.py must run as root (it builds network namespaces)", file=sys.stderr)
        return 2
    only = set(args.only or ["per_task", "shim", "many_links", "links_module", "many_hosts"])
    workdir = Path(tempfile.mkdtemp(prefix="lmvbench-"))
    rows: list = []
    out: dict = {"machine": machine(), "config": vars(args) | {"json": str(args.json) if args.json else None}, "started": time.time()}
    failure = None
    try:
        b = Bench(workdir, args.runs)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("per_task", lambda: bench_per_task(b, rows, out)),
            ("shim", lambda: bench_shim(b, rows, out)),
            ("many_links", lambda: bench_many_links(b, rows, out, args.sizes, args.full_limit, args.sample)),
            ("links_module", lambda: bench_links_module(sys.modules[__name__], b, rows, out, args.links_sizes, args.containers)),
            ("many_hosts", lambda: bench_many_hosts(b, rows, out, args.hosts)),
        ]
        for name, step in steps:
            if name in only:
                start = time.perf_counter()
                step()
                out.setdefault("durations_s", {})[name] = time.perf_counter() - start
                print(f"# {name} done in {out['durations_s'][name]:.0f}s", file=sys.stderr, flush=True)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        # Report what was measured before the failure; the labs are already gone.
        failure = str(exc)
        out["failure"] = failure
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out["machine"]["loadavg_end"] = os.getloadavg()
    out["rows"] = rows
    m = out["machine"]
    print(f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), kernel {m['kernel']}, Python {m['python']}, "
          f"ansible-core {m['ansible_core']}, pyroute2 {m['pyroute2']}, {m['iproute2']}; "
          f"load average at start {m['loadavg_start'][0]:.1f}, at end {m['loadavg_end'][0]:.1f}")
    print(table(rows))
    path = args.json or RESULTS / datetime.datetime.now().strftime("bench-%Y%m%d-%H%M%S.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"JSON: {path}")
    if failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
