# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""(5) macvlan_links, side by side with iproute2 (part of benchmarks/run.py, which passes itself
as `h` for its helpers: timed, median, row, batch_file).

The targets are on the per-link cost: T(N=1000) - T(N=1) for the module process and for `ip`
alike, so that process start-up (Python, AnsiballZ, the pyroute2 import: rows (1)) does not
hide in the ratio.
"""

from __future__ import annotations

from lab import Lab

MODULE = "ansible_collections.linuxnet.macvlan.plugins.modules.macvlan_links"


def _config(n: int) -> list[dict]:
    return [{"name": f"mvl{i}", "parent": "eth0"} for i in range(n)]


def _links_play(n: int, state: str) -> str:
    return f"""---
- name: bench macvlan_links
  hosts: all
  gather_facts: false
  tasks:
    - name: all links in one task
      linuxnet.macvlan.macvlan_links:
        state: {state}
        config: "{{{{ range({n}) | map('regex_replace', '^(.*)$', '{{\\"name\\": \\"mvl\\\\1\\", \\"parent\\": \\"eth0\\"}}') | map('from_json') | list }}}}"
"""


def _command_loop_play(n: int) -> str:
    return f"""---
- name: bench a loop of ip commands
  hosts: all
  gather_facts: false
  tasks:
    - name: one ip command per link
      ansible.builtin.command: ip link add mvl{{{{ item }}}} link eth0 type macvlan mode bridge
      loop: "{{{{ range({n}) | list }}}}"
      changed_when: true
"""


def bench_links_module(h, b, rows: list, out: dict, sizes: list[int], containers: int) -> None:
    results: dict = {}
    lab = Lab()
    try:
        ns = lab.add_host("h1", "10.77.0.1/24")
        for n in sizes:
            names = [f"mvl{i}" for i in range(n)]
            add = h.batch_file(b, [f"link add {x} link eth0 type macvlan mode bridge" for x in names] + [f"link set {x} up" for x in names])
            delete = h.batch_file(b, [f"link del {x}" for x in names])
            r: dict = {key: [] for key in ("ip_create", "ip_show", "ip_delete", "create", "noop", "delete")}
            for _run in range(b.runs):
                r["ip_create"].append(h.timed(["ip", "-n", ns, "-batch", str(add)])["wall"])
                r["ip_show"].append(h.timed(["ip", "-n", ns, "-d", "link", "show"])["wall"])
                r["ip_delete"].append(h.timed(["ip", "-n", ns, "-batch", str(delete)])["wall"])
                r["create"].append(b.module_direct(ns, {"config": _config(n)}, MODULE)["wall"])
                r["noop"].append(b.module_direct(ns, {"config": _config(n)}, MODULE)["wall"])
                r["delete"].append(b.module_direct(ns, {"state": "deleted", "config": [{"parent": "eth0"}]}, MODULE)["wall"])
            results[n] = {key: h.median(values) for key, values in r.items()} | {"runs": r}
            med = results[n]
            h.row(rows, f"(5) N={n} macvlan_links create vs ip -batch add+up", med["create"], med["ip_create"], note=f"module process; median of {b.runs}")
            h.row(rows, f"(5) N={n} macvlan_links no-op vs ip -d link show", med["noop"], med["ip_show"], note=f"median of {b.runs}")
            h.row(rows, f"(5) N={n} macvlan_links deleted vs ip -batch del", med["delete"], med["ip_delete"], note=f"median of {b.runs}")
        if 1 in results and 1000 in results:
            lo, hi = results[1], results[1000]
            for key, ip_key, target, what in (("create", "ip_create", 1.5, "create"), ("noop", "ip_show", 5.0, "no-op re-check"),
                                              ("delete", "ip_delete", 1.2, "delete")):
                # In milliseconds: seconds per link would print as 0.000.
                ours, theirs = (hi[key] - lo[key]) / 999 * 1000, (hi[ip_key] - lo[ip_key]) / 999 * 1000
                h.row(rows, f"(5) per-link cost in ms (not s), {what}: (T(1000)-T(1))/999", ours, theirs, target,
                      "module process vs ip, start-up excluded")
        _playbook_rows(h, b, ns, rows, results)
        _container_rows(h, b, lab, ns, rows, results, containers)
        out["links_module"] = results
    finally:
        lab.destroy()


def _playbook_rows(h, b, ns: str, rows: list, results: dict) -> None:
    """The whole ansible-playbook run for N=1000 next to ip -batch, and the crossover against a
    loop of `command: ip` tasks (both lines fitted from N=1 and N=1000 / N=10)."""
    inv = b.inventory({"h1": ns})
    clean = {"state": "deleted", "config": [{"parent": "eth0"}]}
    play = {}
    for n in (1, 1000):
        play[n] = b.playbook(inv, _links_play(n, "merged"), expect_changed=True)["wall"]
        b.module_direct(ns, clean, MODULE)
    if 1000 in results:
        h.row(rows, "(5) ansible-playbook, macvlan_links N=1000 vs ip -batch add+up", play[1000], results[1000]["ip_create"],
              note="whole playbook run incl. controller start-up")
    loop = {}
    for n in (1, 10):
        loop[n] = b.playbook(inv, _command_loop_play(n), expect_changed=True)["wall"]
        b.module_direct(ns, clean, MODULE)
    links_slope, loop_slope = (play[1000] - play[1]) / 999, (loop[10] - loop[1]) / 9
    crossover = (play[1] - loop[1]) / (loop_slope - links_slope) + 1 if loop_slope > links_slope else None
    rows.append({"measure": "(5) crossover: macvlan_links task vs a loop of command: ip tasks", "collection_s": play[1],
                 "iproute2_s": loop[1], "ratio": None, "target": None, "met": None,
                 "note": f"per link {links_slope * 1000:.2f} ms vs {loop_slope * 1000:.0f} ms; one task is faster from N = "
                         f"{'%.1f' % crossover if crossover is not None else 'never'}"})


def _container_rows(h, b, lab, ns: str, rows: list, results: dict, count: int) -> None:
    """`count` containers (namespaces) each given one macvlan on the host's eth0: one macvlan_links
    task, a loop of macvlan_netns module processes, and a shell loop of ip commands."""
    names = [lab.add_container(f"bc{i}") for i in range(count)]
    config = [{"name": "eth1", "netns": c, "parent": "eth0", "addresses": [f"10.77.{1 + i // 200}.{1 + i % 200}/16"]} for i, c in enumerate(names)]
    one = b.module_direct(ns, {"config": config}, MODULE)["wall"]
    b.module_direct(ns, {"state": "deleted", "config": [{"name": "eth1", "netns": c} for c in names]}, MODULE)
    netns_loop = sum(
        b.module_direct(ns, {"name": "eth1", "netns": c, "parent": "eth0", "addresses": entry["addresses"]},
                        "ansible_collections.linuxnet.macvlan.plugins.modules.macvlan_netns")["wall"]
        for c, entry in zip(names, config)
    )
    b.module_direct(ns, {"state": "deleted", "config": [{"name": "eth1", "netns": c} for c in names]}, MODULE)
    script = "; ".join(
        f"ip link add eth1 link eth0 netns {c} type macvlan mode bridge && ip -n {c} link set eth1 up && ip -n {c} addr add {e['addresses'][0]} dev eth1"
        for c, e in zip(names, config)
    )
    shell = h.timed(["ip", "netns", "exec", ns, "sh", "-c", script])["wall"]
    results["containers"] = {"count": count, "one_task_s": one, "netns_loop_s": netns_loop, "shell_loop_s": shell}
    h.row(rows, f"(5) {count} containers, one macvlan each: one macvlan_links task vs shell loop of ip", one, shell, note="module process")
    h.row(rows, f"(5) {count} containers, one macvlan each: macvlan_netns loop vs shell loop of ip", netns_loop, shell,
          note="one module process per container")
