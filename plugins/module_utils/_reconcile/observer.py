# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one observer of a run: one socket, one pinned descriptor and one set of dumps per namespace,
however many links the run lists (one for macvlan_link, a thousand for macvlan_links).

A namespace's macvlans come from one kernel-filtered link dump, their addresses and routes from one
dump each; a parent's siblings are taken from that same dump, not dumped again. A namespace that
changed is forgotten and read again on the next look.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import MACVLAN_KINDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink, ParentInfo, Sibling
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, netns_file

# The link's namespace has no id for the parent's, so no link in it can sit on that parent:
# a value no kernel id takes makes every existing link compare as "on another parent".
NO_PEER_ID = -1


@dataclass
class Placement:
    """Where one link lives and where its parent lives (one socket for both when they share a namespace).

    Links are created through the parent's socket; into_netns_fd puts them straight into the link's
    namespace when that is another one (as the CNI macvlan plugin does), so no temporary name is ever
    visible and no move drops addresses."""

    link_nl: Any  # backend socket in the link's namespace (None: a namespace create_netns would make)
    parent_nl: Any  # backend socket in the parent's namespace
    parent_netns: str | None = None
    shared: bool = True  # link and parent live in one namespace
    into_netns_fd: int | None = None

    def peer_nsid(self) -> int | None:
        """The id under which the link's namespace knows the parent's (asked afresh: a link created
        across namespaces gives the pair an id only then)."""
        if self.shared or self.link_nl is None:
            return None
        return self.link_nl.peer_nsid(self.parent_netns)


def _open_socket(netns: str | None):
    # Imported here so that the pure layers can import this file's values without pyroute2.
    from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink

    return Netlink(netns)


def _sibling(link: ObservedLink) -> Sibling:
    return Sibling(ifindex=link.ifindex, name=link.name, kind=link.kind, mac_address=link.mac_address)


class NamespacePool:
    """Sockets, pinned descriptors and dumps, one of each per namespace, cached for the run.

    `to_be_created`: named namespaces the run will create (macvlan_netns create_netns); until then
    they read as empty, so check mode can predict a new link in them."""

    def __init__(self, open_socket=_open_socket) -> None:
        self._open_socket = open_socket
        self._sockets: dict = {}
        self._fds: dict = {}
        self._identities: dict = {}
        self._macvlans: dict = {}
        self._names: dict = {}
        self._parents: dict = {}
        self.to_be_created: set = set()

    # ---- namespaces

    def socket(self, netns: str | None):
        if netns not in self._sockets:
            # The backend refuses a namespace that does not exist: it is never created implicitly.
            self._sockets[netns] = self._open_socket(netns)
        return self._sockets[netns]

    def fd(self, netns: str | None) -> int:
        """A descriptor pinning the namespace for the run (a namespace deleted meanwhile stays readable)."""
        if netns not in self._fds:
            try:
                self._fds[netns] = os.open(netns_file(netns), os.O_RDONLY)
            except OSError as exc:
                raise MacvlanError(f"cannot open {describe_netns(netns)}: {exc.strerror or exc}") from exc
        return self._fds[netns]

    def identity(self, netns: str | None) -> tuple[int, int]:
        """(st_dev, st_ino) of the pinned namespace: two spellings of one namespace have one identity."""
        if netns not in self._identities:
            stat = os.fstat(self.fd(netns))
            self._identities[netns] = (stat.st_dev, stat.st_ino)
        return self._identities[netns]

    def same(self, first: str | None, second: str | None) -> bool:
        if first in self.to_be_created or second in self.to_be_created:
            return first == second
        return first == second or self.identity(first) == self.identity(second)

    def placement(self, netns: str | None, parent_netns: str | None) -> Placement:
        shared = self.same(netns, parent_netns)
        pending = netns in self.to_be_created
        return Placement(
            link_nl=None if pending else self.socket(netns),
            parent_nl=self.socket(parent_netns),
            parent_netns=parent_netns,
            shared=shared,
            into_netns_fd=None if shared or pending else self.fd(netns),
        )

    # ---- links

    def macvlans(self, netns: str | None) -> dict[str, ObservedLink]:
        """The namespace's macvlans and macvtaps by name, with addresses and routes (three dumps)."""
        if netns in self.to_be_created:
            return {}
        if netns not in self._macvlans:
            links = self.socket(netns).dump_links_with_ip(MACVLAN_KINDS)
            self._macvlans[netns] = {link.name: link for link in links}
        return self._macvlans[netns]

    def _other_kind(self, netns: str | None, name: str) -> ObservedLink | None:
        """A link of this name that is no macvlan (asked only for names the macvlan dump lacks)."""
        if netns in self.to_be_created:
            return None
        if netns not in self._names:
            self._names[netns] = {link.name: link for link in self.socket(netns).dump_links()}
        link = self._names[netns].get(name)
        return link if link is not None and link.kind not in MACVLAN_KINDS else None

    def observe(self, netns: str | None, name: str) -> ObservedLink | None:
        """The link as the kernel reports it, a copy the caller may change; None when there is none."""
        link = self.macvlans(netns).get(name) or self._other_kind(netns, name)
        return link.copy() if link is not None else None

    def forget(self, netns: str | None) -> None:
        """Drop the dumps of a namespace that changed (the next look reads it again)."""
        self._macvlans.pop(netns, None)
        self._names.pop(netns, None)
        self._parents = {key: value for key, value in self._parents.items() if netns not in (key[0], key[2])}

    # ---- parents

    def parent(self, netns: str | None, name: str, parent_netns: str | None) -> ParentInfo:
        """The resolved lower device as seen from `netns`, with its siblings from the parent's dump."""
        key = (netns, name, parent_netns)
        if key not in self._parents:
            info = self.socket(parent_netns).read_parent(name)
            if self.same(netns, parent_netns):
                nsid = None
            elif netns in self.to_be_created:
                nsid = NO_PEER_ID
            else:
                peer = self.socket(netns).peer_nsid(f"/proc/self/fd/{self.fd(parent_netns)}")
                nsid = NO_PEER_ID if peer is None else peer
            siblings = tuple(
                _sibling(link)
                for link in self.macvlans(parent_netns).values()
                if link.parent_ifindex == info.ifindex and link.parent_netnsid is None
            )
            self._parents[key] = dataclasses.replace(info, netnsid=nsid, siblings=siblings)
        return self._parents[key]

    def default_parent(self, desired: DesiredLink, parent_netns: str | None) -> DesiredLink:
        """A link to be created without a parent goes on the interface of the default route in the
        parent's namespace, as the CNI macvlan plugin does; an existing one keeps "don't care"."""
        if desired.parent is not None or desired.state != "present" or self.observe(desired.netns, desired.name) is not None:
            return desired
        nl = self.socket(parent_netns)
        device = nl.default_route_device()
        if device is None:
            raise MacvlanError(
                f"parent: omitted, and {nl.where} has no default route to take it from "
                f"(creating link {desired.name} in {desired.where}); set parent"
            )
        return dataclasses.replace(desired, parent=device)

    def on_parent(self, netns: str | None, parent: ParentInfo) -> list[ObservedLink]:
        """The macvlans in `netns` whose lower device is `parent` (as `netns` sees it)."""
        return [
            link
            for link in self.macvlans(netns).values()
            if (link.parent_ifindex, link.parent_netnsid) == (parent.ifindex, parent.netnsid)
        ]

    def name_lower_device(self, link: ObservedLink | None, place: Placement, parent: ParentInfo | None) -> None:
        """Set link.parent to the lower device's name, wherever it can be seen."""
        if link is None or not link.parent_ifindex or link.parent_ifindex == link.ifindex and link.parent_netnsid is None:
            return
        # The index alone is not enough: a lower device in another namespace may share it.
        if parent is not None and (link.parent_ifindex, link.parent_netnsid) == (parent.ifindex, parent.netnsid):
            link.parent = parent.name  # already resolved: no second lookup
        elif link.parent_netnsid is None:
            link.parent = place.link_nl.link_name(link.parent_ifindex)
        elif link.parent_netnsid == place.peer_nsid():
            link.parent = place.parent_nl.link_name(link.parent_ifindex)

    def close(self) -> None:
        for nl in self._sockets.values():
            nl.close()
        for fd in self._fds.values():
            os.close(fd)
        self._sockets.clear()
        self._fds.clear()

    def __enter__(self) -> NamespacePool:
        return self

    def __exit__(self, *_exc_info) -> None:
        self.close()
