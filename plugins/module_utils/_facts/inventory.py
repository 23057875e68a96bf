# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assemble macvlan_info's result from what was read in each namespace (pure).

Input is a list of *views*, one per namespace that could be read:
    {"netns": <label: None for the current namespace, a name, or a path>,
     "links": [<backend-normalised state of every link>],
     "peer_nsids": {<label of another namespace>: <nsid this namespace knows it by>}}

A macvlan whose parent lives in another namespace carries `parent_netnsid`, an id that
only means something inside the macvlan's own namespace, and `parent_ifindex`, an index
in the parent's namespace. Matching the id against `peer_nsids` finds that namespace,
and the index then finds the parent there: by name and namespace, never by index alone.
"""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import MACVLAN_KINDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.link_result import link_result


def _sort_key(netns: str | None, name: str | None) -> tuple:
    return (netns is not None, netns or "", name or "")


def locate_parent(view: dict, state: dict, by_label: dict) -> tuple[str | None, dict] | None:
    """(namespace label, parent state) of a macvlan, or None when the parent cannot be seen
    (its namespace is neither the current one nor named, or vanished, or it has no parent)."""
    index = state.get("parent_ifindex")
    if not index:
        return None
    nsid = state.get("parent_netnsid")
    if nsid is None:
        if index == state["ifindex"]:
            return None
        parent = by_label[view["netns"]]["indexes"].get(index)
        return (view["netns"], parent) if parent is not None else None
    for label, nsid_there in view.get("peer_nsids", {}).items():
        if nsid_there == nsid and label in by_label and label != view["netns"]:
            parent = by_label[label]["indexes"].get(index)
            return (label, parent) if parent is not None else None
    return None


def resolve_parents(views: list[dict]) -> dict:
    """{(label, ifindex) of each macvlan: (parent label, parent state) or None}."""
    by_label = {view["netns"]: {"view": view, "indexes": {s["ifindex"]: s for s in view["links"]}} for view in views}
    resolved = {}
    for view in views:
        for state in view["links"]:
            if state.get("kind") in MACVLAN_KINDS:
                resolved[(view["netns"], state["ifindex"])] = locate_parent(view, state, by_label)
    return resolved


def parent_usage(views: list[dict], resolved: dict) -> dict:
    """{parent key: {"macvlan_count", "modes"}} over every macvlan seen in any view."""
    usage: dict = {}
    for view in views:
        for state in view["links"]:
            where = resolved.get((view["netns"], state["ifindex"]))
            if where is None:
                continue
            label, parent = where
            entry = usage.setdefault((label, parent["ifindex"]), {"macvlan_count": 0, "modes": set()})
            entry["macvlan_count"] += 1
            if state.get("mode"):
                entry["modes"].add(state["mode"])
    return {key: {"macvlan_count": value["macvlan_count"], "modes": sorted(value["modes"])} for key, value in usage.items()}


def select_links(views: list[dict], resolved: dict, scope: list, name: str | None = None, parent: str | None = None) -> list[tuple]:
    """[(label, state with "parent" filled, parent location or None)] of the macvlans in
    the namespaces in `scope`, filtered by link name and parent name, in a stable order."""
    selected = []
    for view in views:
        if view["netns"] not in scope:
            continue
        for state in view["links"]:
            if state.get("kind") not in MACVLAN_KINDS or (name is not None and state["name"] != name):
                continue
            where = resolved.get((view["netns"], state["ifindex"]))
            parent_name = where[1]["name"] if where else None
            if parent is not None and parent_name != parent:
                continue
            selected.append((view["netns"], dict(state, parent=parent_name), where))
    return sorted(selected, key=lambda item: _sort_key(item[0], item[1]["name"]))


def info_link_result(label: str | None, state: dict, where: tuple | None) -> dict:
    """macvlan_link's `link` shape, plus `parent_netns` when the parent lives in another
    namespace that could be named (None there means the namespace Ansible runs in)."""
    entry = link_result(state, label)
    if state.get("parent_netnsid") is not None and where is not None:
        entry["parent_netns"] = where[0]
    return entry


def parent_result(label: str | None, state: dict, usage: dict, facts: dict) -> dict:
    return {
        "name": state["name"],
        "netns": label,
        "ifindex": state["ifindex"],
        "kind": state.get("kind"),
        "driver": facts.get("driver"),
        "wireless": facts.get("wireless"),
        "promisc": state.get("promisc"),
        "promiscuity": state.get("promiscuity"),
        "allmulticast": state.get("allmulticast"),
        "up": state.get("up"),
        "macvlan_count": usage.get("macvlan_count", 0),
        "modes": list(usage.get("modes", [])),
    }


def parents_of(selected: list[tuple]) -> list[tuple]:
    """[(label, parent state)] of the selected links, each parent once, in a stable order."""
    seen = {}
    for _label, _state, where in selected:
        if where is not None:
            seen.setdefault((where[0], where[1]["ifindex"]), where)
    return sorted(seen.values(), key=lambda where: _sort_key(where[0], where[1]["name"]))
