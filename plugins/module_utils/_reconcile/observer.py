# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What macvlan_links sees: one socket, one pinned descriptor and one set of dumps per
namespace for the whole run, however many links it lists.

A namespace's macvlans come from one kernel-filtered link dump, their addresses and routes
from one dump each; a parent's siblings are taken from that same dump, not dumped again.
"""

from __future__ import annotations

import dataclasses
import os

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import MACVLAN_KINDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import Placement
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.converge import NO_PEER_ID
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import ObservedLink, ParentInfo, Sibling
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, netns_exists, netns_file


class NamespacePool:
    """Sockets, pinned descriptors and dumps, one of each per namespace, cached for the run."""

    def __init__(self) -> None:
        self._sockets: dict = {}
        self._fds: dict = {}
        self._macvlans: dict = {}
        self._names: dict = {}
        self._parents: dict = {}

    def socket(self, netns: str | None) -> Netlink:
        if netns not in self._sockets:
            if not netns_exists(netns):
                raise MacvlanError(f"{describe_netns(netns)} does not exist (namespaces are never created implicitly)")
            self._sockets[netns] = Netlink(netns)
        return self._sockets[netns]

    def fd(self, netns: str | None) -> int:
        if netns not in self._fds:
            try:
                self._fds[netns] = os.open(netns_file(netns), os.O_RDONLY)
            except OSError as exc:
                raise MacvlanError(f"cannot open {describe_netns(netns)}: {exc.strerror or exc}") from exc
        return self._fds[netns]

    def same(self, first: str | None, second: str | None) -> bool:
        a, b = os.fstat(self.fd(first)), os.fstat(self.fd(second))
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)

    def macvlans(self, netns: str | None) -> dict[str, ObservedLink]:
        """The namespace's macvlans and macvtaps by name, with addresses and routes (three dumps)."""
        if netns not in self._macvlans:
            links = self.socket(netns).dump_links_with_ip(MACVLAN_KINDS)
            self._macvlans[netns] = {link.name: link for link in links}
        return self._macvlans[netns]

    def other_kind(self, netns: str | None, name: str) -> ObservedLink | None:
        """A link of this name that is no macvlan (asked only for names the macvlan dump lacks)."""
        if netns not in self._names:
            self._names[netns] = {link.name: link for link, _group in self.socket(netns).raw().dump()}
        link = self._names[netns].get(name)
        return link if link is not None and link.kind not in MACVLAN_KINDS else None

    def observe(self, netns: str | None, name: str) -> ObservedLink | None:
        link = self.macvlans(netns).get(name)
        return link if link is not None else self.other_kind(netns, name)

    def forget(self, netns: str | None) -> None:
        """Drop the dumps of a namespace that changed (the next look reads it again)."""
        self._macvlans.pop(netns, None)
        self._names.pop(netns, None)

    def placement(self, netns: str | None, parent_netns: str | None) -> Placement:
        shared = self.same(netns, parent_netns)
        return Placement(
            link_nl=self.socket(netns),
            parent_nl=self.socket(parent_netns),
            parent_netns=parent_netns,
            shared=shared,
            into_netns_fd=None if shared else self.fd(netns),
        )

    def parent(self, netns: str | None, name: str, parent_netns: str | None) -> ParentInfo:
        """The resolved lower device as seen from `netns`, with its siblings from the parent's dump."""
        key = (netns, name, parent_netns)
        if key not in self._parents:
            info = self.socket(parent_netns).read_parent(name)
            if self.same(netns, parent_netns):
                nsid = None
            else:
                peer = self.socket(netns).peer_nsid(f"/proc/self/fd/{self.fd(parent_netns)}")
                nsid = NO_PEER_ID if peer is None else peer
            siblings = tuple(
                Sibling(ifindex=link.ifindex, name=link.name, kind=link.kind, mac_address=link.mac_address)
                for link in self.macvlans(parent_netns).values()
                if link.parent_ifindex == info.ifindex and link.parent_netnsid is None
            )
            self._parents[key] = dataclasses.replace(info, netnsid=nsid, siblings=siblings)
        return self._parents[key]

    def on_parent(self, netns: str | None, parent: ParentInfo) -> list[ObservedLink]:
        """The macvlans in `netns` whose lower device is `parent` (as `netns` sees it)."""
        return [
            link
            for link in self.macvlans(netns).values()
            if (link.parent_ifindex, link.parent_netnsid) == (parent.ifindex, parent.netnsid)
        ]

    def close(self) -> None:
        for nl in self._sockets.values():
            nl.close()
        for fd in self._fds.values():
            os.close(fd)
        self._sockets.clear()
        self._fds.clear()
