# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Single kernel changes: create, change and delete links, addresses and routes.

Part of the backend: mixed into Netlink (_netlink.py), which provides `self.rt` (the
checked socket: every kernel error arrives as KernelRefusal). It decides nothing.
"""

from __future__ import annotations

import errno
import ipaddress
import secrets

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import KernelRefusal
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import LinkSpec
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.bulk import create_request, delete_group_request, group_request
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.reader import (
    AF_INET,
    AF_INET6,
    FLAG_BITS,
    IFF_ALLMULTI,
    IFF_PROMISC,
    IFF_UP,
    RT_TABLE_MAIN,
)

RT_SCOPE_LINK = 253
# Removing something that is already gone is done (an address removal also flushes routes).
ALREADY_GONE = (errno.ESRCH, errno.EADDRNOTAVAIL, errno.ENOENT)
ALREADY_GONE_LINK = (errno.ENODEV,)


def _info_data(kind: str, changes: dict) -> dict:
    """pyroute2 keyword arguments for IFLA_INFO_DATA (macvtap takes the same names)."""
    kw: dict = {}
    if changes.get("mode") is not None:
        kw[f"{kind}_mode"] = changes["mode"]
    if changes.get("flags") is not None:
        kw[f"{kind}_flags"] = sum(FLAG_BITS[f] for f in changes["flags"])
    if changes.get("bcqueuelen") is not None:
        kw[f"{kind}_bc_queue_len"] = changes["bcqueuelen"]
    if changes.get("bc_cutoff") is not None:
        kw[f"{kind}_bc_cutoff"] = changes["bc_cutoff"]
    return kw


def _route_kw(ifindex: int, route: dict) -> dict:
    net = ipaddress.ip_network(route["dst"])
    kw = {"oif": ifindex, "dst_len": net.prefixlen, "family": AF_INET if net.version == 4 else AF_INET6, "table": RT_TABLE_MAIN}
    if net.prefixlen:
        kw["dst"] = net.network_address.compressed
    if route.get("gateway"):
        kw["gateway"] = route["gateway"]
    elif net.version == 4:
        # An on-link route, as `ip route add NET dev LINK`, networkd and NetworkManager make it.
        kw["scope"] = RT_SCOPE_LINK
    if route.get("metric") is not None:
        kw["priority"] = route["metric"]
    return kw


class LinkWriter:
    """Changing netlink requests of the backend."""

    def create_macvlan(self, spec: LinkSpec, into_netns_fd: int | None = None) -> None:
        """Create a macvlan/macvtap on spec.parent_ifindex of this namespace, up if spec.up says so,
        in one request; with into_netns_fd, straight inside that namespace (as the CNI macvlan
        plugin does)."""
        kw = {"ifname": spec.name, "kind": spec.kind, "link": spec.parent_ifindex}
        kw.update(_info_data(spec.kind, {"mode": spec.mode, "flags": spec.flags, "bcqueuelen": spec.bcqueuelen, "bc_cutoff": spec.bc_cutoff}))
        if spec.mac_address:
            kw["address"] = spec.mac_address
        if spec.mtu is not None:
            kw["mtu"] = spec.mtu
        if spec.numtxqueues is not None:
            kw["num_tx_queues"] = spec.numtxqueues
        if spec.numrxqueues is not None:
            kw["num_rx_queues"] = spec.numrxqueues
        if into_netns_fd is not None:
            kw["net_ns_fd"] = into_netns_fd
        if spec.up:
            kw["flags"] = kw["change"] = IFF_UP
        self.rt.link("add", **kw)

    def set_info_data(self, ifindex: int, kind: str, changes: dict) -> None:
        self.rt.link("set", index=ifindex, kind=kind, **_info_data(kind, changes))

    def set_source_macs(self, ifindex: int, kind: str, macs: list[str]) -> None:
        prefix = "IFLA_MACVTAP_" if kind == "macvtap" else "IFLA_MACVLAN_"
        if macs:
            # The nested form matters: a bare list is accepted and silently flushes the list.
            data = {"attrs": [(prefix + "MACADDR", mac) for mac in macs]}
            self.rt.link("set", index=ifindex, kind=kind, **{f"{kind}_macaddr_mode": "set", f"{kind}_macaddr_data": data})
        else:
            self.rt.link("set", index=ifindex, kind=kind, **{f"{kind}_macaddr_mode": "flush"})

    def set_link(self, ifindex: int, changes: dict) -> None:
        """Generic link attributes: mac_address, mtu, up, promisc, allmulticast."""
        kw: dict = {}
        if "mac_address" in changes:
            kw["address"] = changes["mac_address"]
        if "mtu" in changes:
            kw["mtu"] = changes["mtu"]
        mask = bits = 0
        for key, bit in (("up", IFF_UP), ("promisc", IFF_PROMISC), ("allmulticast", IFF_ALLMULTI)):
            if key in changes:
                mask |= bit
                bits |= bit if changes[key] else 0
        if mask:
            kw["flags"] = bits
            kw["change"] = mask
        if kw:
            self.rt.link("set", index=ifindex, **kw)

    def delete_link(self, ifindex: int) -> None:
        self.rt.link("del", index=ifindex)

    def add_address(self, ifindex: int, cidr: str) -> None:
        iface = ipaddress.ip_interface(cidr)
        self.rt.addr("add", index=ifindex, address=iface.ip.compressed, prefixlen=iface.network.prefixlen)

    def del_address(self, ifindex: int, cidr: str) -> None:
        iface = ipaddress.ip_interface(cidr)
        try:
            self.rt.addr("del", index=ifindex, address=iface.ip.compressed, prefixlen=iface.network.prefixlen)
        except KernelRefusal as exc:
            if exc.code not in ALREADY_GONE:
                raise

    def add_route(self, ifindex: int, route: dict) -> None:
        self.rt.route("add", **_route_kw(ifindex, route))

    def replace_route(self, ifindex: int, route: dict) -> None:
        """Add the route, or leave it as it is when it is already there."""
        self.rt.route("replace", **_route_kw(ifindex, route))

    def del_route(self, ifindex: int, route: dict) -> None:
        try:
            self.rt.route("del", **_route_kw(ifindex, route))
        except KernelRefusal as exc:
            if exc.code not in ALREADY_GONE:
                raise

    def create_many(self, specs: list[LinkSpec], into_netns_fd: int | None = None) -> list[KernelRefusal | None]:
        """Create links in windows of requests, each created up in its one request; returns, per
        spec, None or the kernel's refusal. Every request is sent: the caller undoes what must be."""
        return self.raw().run([create_request(spec, into_netns_fd) for spec in specs])

    def delete_many(self, ifindexes: list[int]) -> None:
        """Delete links of this namespace together: put them in a group no other link has, then
        delete that group (one unregistration for all). Raises KernelRefusal with nothing deleted."""
        if not ifindexes:
            return
        groups = self.link_groups()
        used = set(groups.values())
        group = next(g for g in (secrets.randbelow(1 << 30) + (1 << 30) for _attempt in range(64)) if g not in used)
        answers = self.raw().run([group_request(index, group) for index in ifindexes])
        moved = [index for index, answer in zip(ifindexes, answers) if answer is None]
        failed = next((answer for answer in answers if answer is not None and answer.code not in ALREADY_GONE_LINK), None)
        if failed is None and moved:
            (failed,) = self.raw().run([delete_group_request(group)])
        if failed is not None:
            # Put the links back in their groups: nothing was deleted.
            self.raw().run([group_request(index, groups.get(index) or 0) for index in moved])
            raise failed
