# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan_links state=gathered: the links as they are, in exactly the `config` shape, so the
result given back with state=merged changes nothing."""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.scan import named_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import LinkEntry
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import ObservedLink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import netns_file

CONFIG_FIELDS = (
    "kind", "mode", "mac_address", "mtu", "up", "flags", "source_macs", "bcqueuelen", "bc_cutoff", "addresses", "routes",
)


def _lower_device(pool: NamespacePool, netns: str | None, link: ObservedLink) -> tuple[str | None, str | None]:
    """(parent name, parent_netns) of a link: its own namespace, or the one (the current or a
    named namespace) whose id its namespace knows the lower device's namespace by."""
    if not link.parent_ifindex or link.parent_ifindex == link.ifindex and link.parent_netnsid is None:
        return None, netns
    if link.parent_netnsid is None:
        return pool.socket(netns).link_name(link.parent_ifindex), netns
    for candidate in [None, *named_netns()]:
        if pool.socket(netns).peer_nsid(netns_file(candidate)) == link.parent_netnsid:
            return pool.socket(candidate).link_name(link.parent_ifindex), candidate
    return None, None


def config_entry(pool: NamespacePool, netns: str | None, link: ObservedLink) -> dict:
    parent, parent_netns = _lower_device(pool, netns, link)
    entry = {"name": link.name, "netns": netns, "parent": parent, "parent_netns": parent_netns}
    entry.update({key: getattr(link, key) for key in CONFIG_FIELDS})
    entry["routes"] = [dict(route) for route in entry["routes"] or []]
    return entry


def gather_links(entries: list[LinkEntry]) -> list[dict]:
    """Entries narrow what is gathered (a namespace, a parent, a name); none: the current namespace."""
    with NamespacePool() as pool:
        return _gather(pool, entries)


def _gather(pool: NamespacePool, entries: list[LinkEntry]) -> list[dict]:
    scopes = entries or [LinkEntry(0, "config", None, None, None, None)]
    result, seen = [], set()
    for scope in scopes:
        links = list(pool.macvlans(scope.netns).values())
        if scope.parent is not None:
            links = pool.on_parent(scope.netns, pool.parent(scope.netns, scope.parent, scope.parent_netns))
        if scope.desired is not None:
            links = [link for link in links if link.name == scope.desired.name]
        for link in sorted(links, key=lambda l: l.name):
            if (scope.netns, link.name) not in seen:
                seen.add((scope.netns, link.name))
                result.append(config_entry(pool, scope.netns, link))
    return result
