"""macvlan_info against a real kernel: macvlans in several namespaces on parents in others."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.link_result import LINK_FIELDS
from lab import delete_netns, sh

MODULE = "macvlan_info"
TOP = Path(__file__).resolve().parents[2]


@pytest.fixture
def info_lab(lab):
    """h1 (eth0) and h2 (uplink0) on a switch; containers c1, c2 hold macvlans whose
    parents stay in h1 and h2.

        h1:  mvhost  macvlan bridge  on h1/eth0     (10.77.0.11/24, up)
        h2:  mv0     macvlan bridge  on h2/uplink0
        c1:  mv0     macvlan vepa    on h1/eth0     (10.77.0.21/24)
             mv1     macvlan private on h2/uplink0
        c2:  mv0     macvtap bridge  on h1/eth0
    """
    lab.add_switch()
    h1 = lab.add_host("h1", "10.77.0.1/24")
    h2 = lab.add_host("h2", "10.77.0.2/24", ifname="uplink0")
    c1 = lab.add_container("c1")
    c2 = lab.add_container("c2")
    lab.run(h1, "ip", "link", "add", "mvhost", "link", "eth0", "type", "macvlan", "mode", "bridge")
    lab.run(h1, "ip", "addr", "add", "10.77.0.11/24", "dev", "mvhost")
    lab.run(h1, "ip", "link", "set", "mvhost", "up")
    lab.run(h2, "ip", "link", "add", "mv0", "link", "uplink0", "type", "macvlan", "mode", "bridge")
    lab.run(h1, "ip", "link", "add", "mv0", "link", "eth0", "netns", c1, "type", "macvlan", "mode", "vepa")
    lab.run(h2, "ip", "link", "add", "mv1", "link", "uplink0", "netns", c1, "type", "macvlan", "mode", "private")
    lab.run(c1, "ip", "addr", "add", "10.77.0.21/24", "dev", "mv0")
    lab.run(h1, "ip", "link", "add", "mv0", "link", "eth0", "netns", c2, "type", "macvtap", "mode", "bridge")
    return {"h1": h1, "h2": h2, "c1": c1, "c2": c2}


def ours(entries: list[dict], lab) -> list[dict]:
    """Entries in this lab's namespaces (other tests' labs may run in parallel)."""
    return [e for e in entries if e["netns"] and e["netns"].startswith(lab.prefix)]


def brief(links: list[dict]) -> list[tuple]:
    return [(l["netns"], l["name"], l["kind"], l["mode"], l["parent"], l.get("parent_netns", "-")) for l in links]


def test_netns_lists_a_container_with_parents_in_other_namespaces(info_lab, lab, modules):
    h1, h2, c1 = info_lab["h1"], info_lab["h2"], info_lab["c1"]
    result = modules.ok(MODULE, {"netns": c1})
    assert result["changed"] is False
    assert result["namespaces"] == [c1]
    assert brief(result["links"]) == [
        (c1, "mv0", "macvlan", "vepa", "eth0", h1),
        (c1, "mv1", "macvlan", "private", "uplink0", h2),
    ]
    # Checked against the kernel, independently of the collection.
    for entry in result["links"]:
        kernel = lab.link(c1, entry["name"])
        assert entry["ifindex"] == kernel["ifindex"]
        assert entry["mac_address"] == kernel["address"]
        assert entry["mtu"] == kernel["mtu"]
        assert entry["up"] is ("UP" in kernel["flags"])
        assert entry["mode"] == kernel["linkinfo"]["info_data"]["mode"]
        assert entry["addresses"] == lab.addrs(c1, entry["name"])
    assert result["links"][0]["addresses"] == ["10.77.0.21/24"]

    parents = {(p["netns"], p["name"]): p for p in result["parents"]}
    assert sorted(parents) == [(h1, "eth0"), (h2, "uplink0")]
    eth0 = parents[(h1, "eth0")]
    # Counted wherever the macvlans live: mvhost in h1, mv0 in c1, the macvtap in c2.
    assert (eth0["macvlan_count"], eth0["modes"]) == (3, ["bridge", "vepa"])
    assert (parents[(h2, "uplink0")]["macvlan_count"], parents[(h2, "uplink0")]["modes"]) == (2, ["bridge", "private"])
    for (ns, name), parent in parents.items():
        kernel = lab.link(ns, name)
        assert parent["ifindex"] == kernel["ifindex"]
        assert parent["promisc"] is ("PROMISC" in kernel["flags"])
        assert parent["promiscuity"] == kernel["promiscuity"]
        assert (parent["kind"], parent["driver"], parent["wireless"]) == ("veth", "veth", False)
    # The up macvlan on a veth (no unicast filter) raises h1/eth0's counter, never its flag.
    assert (eth0["promisc"], eth0["promiscuity"]) == (False, 1)


def test_entries_have_macvlan_links_shape(info_lab, modules):
    h1, c1 = info_lab["h1"], info_lab["c1"]
    same_ns = modules.ok(MODULE, {"netns": h1})["links"]
    assert [l["name"] for l in same_ns] == ["mvhost"]
    assert set(same_ns[0]) == set(LINK_FIELDS)  # parent in its own namespace: no parent_netns
    assert same_ns[0]["parent"] == "eth0" and same_ns[0]["netns"] == h1
    cross_ns = modules.ok(MODULE, {"netns": c1})["links"]
    assert all(set(entry) == set(LINK_FIELDS) | {"parent_netns"} for entry in cross_ns)


@pytest.mark.skipif(not (TOP / "plugins/modules/macvlan_link.py").exists(), reason="macvlan_link is not in this checkout")
def test_entry_equals_what_macvlan_link_returns(info_lab, modules):
    h1 = info_lab["h1"]
    described = modules.ok(MODULE, {"netns": h1, "name": "mvhost"})["links"]
    link = modules.ok("macvlan_link", {"name": "mvhost", "parent": "eth0", "netns": h1}, check=True)
    assert link["changed"] is False
    assert described == [link["link"]]


def test_all_netns_and_filters(info_lab, lab, modules):
    h1, h2, c1, c2 = info_lab["h1"], info_lab["h2"], info_lab["c1"], info_lab["c2"]
    everything = modules.ok(MODULE, {"all_netns": True})
    assert None in everything["namespaces"]
    assert {h1, h2, c1, c2, lab.switch} <= set(everything["namespaces"])
    assert brief(ours(everything["links"], lab)) == sorted(brief(ours(everything["links"], lab)))
    assert sorted(brief(ours(everything["links"], lab))) == sorted([
        (c1, "mv0", "macvlan", "vepa", "eth0", h1),
        (c1, "mv1", "macvlan", "private", "uplink0", h2),
        (c2, "mv0", "macvtap", "bridge", "eth0", h1),
        (h1, "mvhost", "macvlan", "bridge", "eth0", "-"),
        (h2, "mv0", "macvlan", "bridge", "uplink0", "-"),
    ])
    assert sorted((p["netns"], p["name"], p["macvlan_count"]) for p in ours(everything["parents"], lab)) == [
        (h1, "eth0", 3), (h2, "uplink0", 2),
    ]

    by_name = modules.ok(MODULE, {"all_netns": True, "name": "mv0"})
    assert [(l["netns"], l["parent"]) for l in ours(by_name["links"], lab)] == [(c1, "eth0"), (c2, "eth0"), (h2, "uplink0")]
    assert all(l["name"] == "mv0" for l in by_name["links"])

    by_parent = modules.ok(MODULE, {"all_netns": True, "parent": "uplink0"})
    assert [(l["netns"], l["name"]) for l in ours(by_parent["links"], lab)] == [(c1, "mv1"), (h2, "mv0")]
    assert [(p["netns"], p["name"]) for p in ours(by_parent["parents"], lab)] == [(h2, "uplink0")]

    both = modules.ok(MODULE, {"netns": c1, "name": "mv0", "parent": "uplink0"})
    assert both["links"] == [] and both["parents"] == []
    one = modules.ok(MODULE, {"netns": c2, "name": "mv0", "parent": "eth0"})
    assert brief(one["links"]) == [(c2, "mv0", "macvtap", "bridge", "eth0", h1)]


def test_netns_given_as_a_path_is_listed_under_that_path(info_lab, modules):
    """A namespace known only by a process (like a container's) is listed under the path given;
    its named alias is not listed twice, and the parent is still found by name and namespace."""
    c1, h1 = info_lab["c1"], info_lab["h1"]
    sleeper = subprocess.Popen(["ip", "netns", "exec", c1, "sleep", "300"])
    try:
        path = f"/proc/{sleeper.pid}/ns/net"
        for _attempt in range(50):  # ip netns exec has entered c1 once the files differ
            if os.stat(path).st_ino == os.stat(f"/run/netns/{c1}").st_ino:
                break
            time.sleep(0.05)
        result = modules.ok(MODULE, {"netns": path})
        assert result["namespaces"] == [path]
        assert [(l["netns"], l["name"], l["parent"], l["parent_netns"]) for l in result["links"]] == [
            (path, "mv0", "eth0", h1),
            (path, "mv1", "uplink0", info_lab["h2"]),
        ]
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)


def test_check_mode_changes_nothing(info_lab, lab, modules):
    namespaces = list(info_lab.values())
    before = {ns: lab.snapshot(ns) for ns in namespaces}
    normal = modules.ok(MODULE, {"netns": info_lab["c1"]})
    checked = modules.ok(MODULE, {"netns": info_lab["c1"]}, check=True, diff=True)
    assert checked["changed"] is False
    assert checked["links"] == normal["links"] and checked["parents"] == normal["parents"]
    assert {ns: lab.snapshot(ns) for ns in namespaces} == before


def test_errors(lab, modules):
    ghost = lab.ns("ghost")
    failed = modules.fails(MODULE, {"netns": ghost})
    assert ghost in failed["msg"] and "does not exist" in failed["msg"]
    assert ghost not in sh("ip", "netns", "list").stdout
    assert "mutually exclusive" in modules.fails(MODULE, {"netns": ghost, "all_netns": True})["msg"]
    assert "must not contain" in modules.fails(MODULE, {"netns": "a/b"})["msg"]


def test_an_entry_that_is_not_a_namespace_is_skipped_with_a_warning(info_lab, lab, modules):
    """What a namespace deleted between listing /run/netns and opening it looks like:
    a name that cannot be entered. The listing goes on without it."""
    bogus = Path("/run/netns") / lab.ns("bogus")
    bogus.touch()
    try:
        result = modules.ok(MODULE, {"all_netns": True})
        assert bogus.name in json.dumps(result.get("warnings", []))
        assert bogus.name not in result["namespaces"]
        assert len(ours(result["links"], lab)) == 5
    finally:
        bogus.unlink()


@pytest.mark.slow
def test_namespaces_removed_while_listing_do_not_crash(info_lab, lab, modules):
    """Namespaces are deleted by a thread while the module lists all namespaces over and over.

    Two kinds disappear: link namespaces rK (each holding mvrK on h1/eth0) and parent
    namespaces pK (each holding the eth0 that qK/mvqK sits on, qK stays). Every run must
    succeed, and be consistent: a parent whose namespace was listed is always found."""
    h1 = info_lab["h1"]
    link_racers, parent_racers, children = [], [], {}
    for i in range(20):
        r = lab.add_netns(f"r{i}")
        lab.run(h1, "ip", "link", "add", f"mvr{i}", "link", "eth0", "netns", r, "type", "macvlan", "mode", "bridge")
        p = lab.add_netns(f"p{i}")
        q = lab.add_netns(f"q{i}")
        lab.run(p, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        lab.run(p, "ip", "link", "add", f"mvq{i}", "link", "eth0", "netns", q, "type", "macvlan", "mode", "private")
        link_racers.append(r)
        parent_racers.append(p)
        children[q] = p
    doomed = [ns for pair in zip(link_racers, parent_racers) for ns in pair]
    started, done = threading.Event(), threading.Event()

    def delete_all() -> None:
        started.set()
        for ns in doomed:
            delete_netns(ns)
            time.sleep(0.02)
        done.set()

    deleter = threading.Thread(target=delete_all, daemon=True)
    runs = []
    deleter.start()
    started.wait()
    while not done.is_set() or len(runs) < 3:
        runs.append(modules.run(MODULE, {"all_netns": True}))
    deleter.join(timeout=60)

    seen = set()
    for result in runs:
        assert not result.get("failed"), result.get("msg")
        assert result["_rc"] == 0 and "Traceback" not in result["_stderr"]
        listed = set(result["namespaces"])
        racer_links = [l for l in result["links"] if l["netns"] in link_racers]
        for link in racer_links:
            assert (link["parent"], link["parent_netns"]) == ("eth0", h1)
        for link in (l for l in result["links"] if l["netns"] in children):
            parent_ns = children[link["netns"]]
            if parent_ns in listed:
                # Listed namespaces are pinned, so their links stay findable to the end of the run.
                assert (link["parent"], link["parent_netns"]) == ("eth0", parent_ns), link
            else:
                assert link["parent"] is None and "parent_netns" not in link, link
        eth0 = [p for p in result["parents"] if (p["netns"], p["name"]) == (h1, "eth0")]
        # The count agrees with the links listed: mvhost, c1/mv0, c2/mv0 and the racers seen.
        assert eth0 and eth0[0]["macvlan_count"] == 3 + len(racer_links)
        seen.add(len(listed & set(doomed)))
    # The deletions really overlapped the listing: runs saw different numbers of doomed namespaces.
    assert len(seen) >= 2, f"no run overlapped the deletions: {seen}"
    final = modules.ok(MODULE, {"all_netns": True})
    assert not set(final["namespaces"]) & set(doomed)
    assert not [l for l in final["links"] if l["netns"] in link_racers]
