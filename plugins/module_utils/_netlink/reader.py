# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading links, addresses and routes from netlink into plain, normalised values.

Part of the backend: mixed into Netlink (_netlink.py), which provides `self.rt` (the
checked socket: every kernel error arrives as KernelRefusal), `self.strict` and `self.where`.
"""

from __future__ import annotations

import errno
import ipaddress
import os

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import BC_CUTOFF_DEFAULT, MACVLAN_KINDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import KernelRefusal, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import ObservedLink, ParentInfo
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import netns_file
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import RequestProcessor

MODE_BITS = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}
FLAG_BITS = {"nopromisc": 1, "nodst": 2}
IFF_UP = 0x1
IFF_PROMISC = 0x100
IFF_ALLMULTI = 0x200
RTPROT_KERNEL = 2
IFA_F_PERMANENT = 0x80
RT_TABLE_MAIN = 254
AF_INET, AF_INET6 = 2, 10
NO_NSID = (None, 0xFFFFFFFF, -1)  # what the kernel answers for "no id assigned"


def _mode_name(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return next((name for name, bit in MODE_BITS.items() if bit == value), str(value))


def _flag_names(value) -> list[str]:
    if value in (None, "none", 0):
        return []
    if isinstance(value, str):
        value = FLAG_BITS.get(value, 0)
    return sorted(name for name, bit in FLAG_BITS.items() if value & bit)


def _address_order(cidr: str) -> tuple[int, int]:
    iface = ipaddress.ip_interface(cidr)
    return (iface.version, int(iface.ip))


def _route_order(route: dict) -> tuple:
    return (route["dst"], route["gateway"] or "", route["metric"])


def _addresses(messages) -> list[tuple[int, str, bool]]:
    """(ifindex, CIDR, permanent) of each global-scope address; IPv6 link-local belongs to the kernel.

    A permanent address was set by someone; one without IFA_F_PERMANENT has a lifetime (a DHCP
    lease, IPv6 autoconfiguration) and belongs to the protocol that keeps renewing it."""
    result = []
    for msg in messages:
        if msg["scope"] != 0:
            continue
        address = msg.get_attr("IFA_ADDRESS")
        if msg["family"] == AF_INET and msg.get_attr("IFA_LOCAL"):
            address = msg.get_attr("IFA_LOCAL")
        flags = msg.get_attr("IFA_FLAGS") or msg["flags"]
        result.append((msg["index"], f"{ipaddress.ip_address(address).compressed}/{msg['prefixlen']}", bool(flags & IFA_F_PERMANENT)))
    return result


def _split_addresses(entries) -> tuple[list[str], list[str]]:
    """(permanent, dynamic) CIDRs, each sorted by version and address."""
    entries = list(entries)
    permanent = sorted((cidr for cidr, keep in entries if keep), key=_address_order)
    dynamic = sorted((cidr for cidr, keep in entries if not keep), key=_address_order)
    return permanent, dynamic


def _routes(messages, family: int) -> list[tuple[int, dict]]:
    """(output ifindex, route) of each unicast main-table route someone added (not the kernel)."""
    result = []
    for msg in messages:
        if msg["type"] != 1 or msg["proto"] == RTPROT_KERNEL or msg.get_attr("RTA_TABLE", msg["table"]) != RT_TABLE_MAIN:
            continue
        dst = msg.get_attr("RTA_DST") or ("0.0.0.0" if family == AF_INET else "::")
        gateway = msg.get_attr("RTA_GATEWAY")
        metric = msg.get_attr("RTA_PRIORITY")
        route = {
            "dst": ipaddress.ip_network(f"{dst}/{msg['dst_len']}", strict=False).compressed,
            "gateway": ipaddress.ip_address(gateway).compressed if gateway else None,
            "metric": metric if metric is not None else 0,
        }
        result.append((msg.get_attr("RTA_OIF"), route))
    return result


class LinkReader:
    """Read-only netlink requests of the backend."""

    def raw_link(self, name: str | None = None, index: int | None = None):
        """The kernel's message for one link, or None when there is no such link."""
        try:
            return self.rt.link("get", **({"index": index} if index is not None else {"ifname": name}))[0]
        except KernelRefusal as exc:
            if exc.code in (errno.ENODEV, errno.ENOENT, errno.EINVAL):
                return None
            raise

    def link_name(self, index: int) -> str | None:
        msg = self.raw_link(index=index)
        return msg.get_attr("IFLA_IFNAME") if msg is not None else None

    def ifindex_of(self, name: str) -> int | None:
        msg = self.raw_link(name=name)
        return msg["index"] if msg is not None else None

    def read_link(self, name: str | None = None, index: int | None = None, with_ip: bool = True) -> ObservedLink | None:
        """The normalised state of one link, or None when there is no such link."""
        msg = self.raw_link(name=name, index=index)
        if msg is None:
            return None
        link = self._normalise(msg)
        if with_ip:
            self._read_ip(link)
        return link

    def dump_links(self, kinds: tuple[str, ...] | None = None, with_ip: bool = True) -> list[ObservedLink]:
        if kinds is None or not self.strict:
            messages = list(self.rt.link("dump"))
        else:
            # A strict dump carrying IFLA_INFO_KIND is filtered by the kernel (as `ip link show type
            # macvlan`): only links of these kinds are sent and decoded, not every veth and bridge of a
            # container host. One dump per kind; sorted back into ifindex order below.
            messages = [
                msg
                for kind in kinds
                for msg in self.rt.link("dump", IFLA_LINKINFO={"attrs": [("IFLA_INFO_KIND", kind)]}, **self._kernel_filter())
            ]
        links = [self._normalise(msg) for msg in sorted(messages, key=lambda m: m["index"])]
        links = [link for link in links if kinds is None or link.kind in kinds]
        if with_ip:
            for link in links:
                self._read_ip(link)
        return links

    def dump_links_with_ip(self, kinds: tuple[str, ...]) -> list[ObservedLink]:
        """Links of these kinds with their addresses and routes, in one dump of each for the whole
        namespace (not three per link), links decoded by the plain-bytes reader: what a many-links
        run observes."""
        raw = self.raw()
        if self.strict:
            links = [link for kind in kinds for link, _group in raw.dump(kind)]
        else:
            links = [link for link, _group in raw.dump() if link.kind in kinds]
        links.sort(key=lambda link: link.ifindex)
        addresses: dict[int, list[tuple[str, bool]]] = {}
        for index, cidr, permanent in raw.addresses():
            addresses.setdefault(index, []).append((cidr, permanent))
        routes: dict[int, list[dict]] = {}
        for family in (AF_INET, AF_INET6):
            for index, route in raw.routes(family):
                routes.setdefault(index, []).append(route)
        for link in links:
            link.addresses, link.dynamic_addresses = _split_addresses(addresses.get(link.ifindex, []))
            link.routes = sorted(routes.get(link.ifindex, []), key=_route_order)
        return links

    def link_groups(self) -> dict[int, int | None]:
        """The group of every link of the namespace, by ifindex (one dump)."""
        return {link.ifindex: group for link, group in self.raw().dump()}

    def _read_ip(self, link: ObservedLink) -> None:
        link.addresses, link.dynamic_addresses = self.read_addresses(link.ifindex)
        link.routes = self.read_routes(link.ifindex)

    @staticmethod
    def _normalise(msg) -> ObservedLink:
        linkinfo = msg.get_attr("IFLA_LINKINFO")
        kind = linkinfo.get_attr("IFLA_INFO_KIND") if linkinfo else None
        data = linkinfo.get_attr("IFLA_INFO_DATA") if linkinfo else None
        flags = msg["flags"]
        link = ObservedLink(
            name=msg.get_attr("IFLA_IFNAME"),
            ifindex=msg["index"],
            kind=kind,
            parent_ifindex=msg.get_attr("IFLA_LINK"),
            parent_netnsid=msg.get_attr("IFLA_LINK_NETNSID"),
            mac_address=(msg.get_attr("IFLA_ADDRESS") or "").lower() or None,
            mtu=msg.get_attr("IFLA_MTU"),
            up=bool(flags & IFF_UP),
            promisc=bool(flags & IFF_PROMISC),
            allmulticast=bool(flags & IFF_ALLMULTI),
            promiscuity=msg.get_attr("IFLA_PROMISCUITY"),
            numtxqueues=msg.get_attr("IFLA_NUM_TX_QUEUES"),
            numrxqueues=msg.get_attr("IFLA_NUM_RX_QUEUES"),
        )
        if kind in MACVLAN_KINDS and data is not None:
            prefix = "IFLA_MACVTAP_" if kind == "macvtap" else "IFLA_MACVLAN_"
            link.mode = _mode_name(data.get_attr(prefix + "MODE"))
            link.flags = _flag_names(data.get_attr(prefix + "FLAGS"))
            macs = data.get_attr(prefix + "MACADDR_DATA")
            if macs:
                link.source_macs = sorted(v.lower() for k, v in macs["attrs"] if k.endswith("MACADDR"))
            link.bcqueuelen = data.get_attr(prefix + "BC_QUEUE_LEN")
            cutoff = data.get_attr(prefix + "BC_CUTOFF")
            # The kernel only reports a non-default cutoff, and only if it knows the attribute.
            link.bc_cutoff = BC_CUTOFF_DEFAULT if cutoff is None and link.bcqueuelen is not None else cutoff
        return link

    def peer_nsid(self, netns: str | None) -> int | None:
        """The id under which this socket's namespace knows `netns` (None: unknown/no id).

        IFLA_LINK_NETNSID of a link whose parent lives elsewhere is such an id, so this
        tells whether that parent lives in `netns`."""
        try:
            fd = os.open(netns_file(netns), os.O_RDONLY)
        except OSError:
            return None
        try:
            nsid = self.rt.get_netnsid(fd=fd).get("nsid")
        finally:
            os.close(fd)
        return None if nsid in NO_NSID else nsid

    def _kernel_filter(self) -> dict:
        """With strict checking, an explicit (empty) dump filter makes pyroute2 send the
        other keywords (index, oif, table) in the request, where the kernel filters by them.
        The callers still check every message, so both paths give the same result."""
        return {"dump_filter": RequestProcessor()} if self.strict else {}

    def read_addresses(self, ifindex: int) -> tuple[list[str], list[str]]:
        """(permanent, dynamic) global-scope addresses; IPv6 link-local belongs to the kernel."""
        messages = self.rt.addr("dump", index=ifindex, **self._kernel_filter())
        return _split_addresses((cidr, permanent) for index, cidr, permanent in _addresses(messages) if index == ifindex)

    def read_routes(self, ifindex: int) -> list[dict]:
        """Unicast routes in the main table through this link that someone added (not the kernel)."""
        result = []
        for family in (AF_INET, AF_INET6):
            messages = self.rt.route("dump", family=family, table=RT_TABLE_MAIN, oif=ifindex, **self._kernel_filter())
            result.extend(route for index, route in _routes(messages, family) if index == ifindex)
        return sorted(result, key=_route_order)

    def default_route_device(self) -> str | None:
        """The interface of the main table's default route (IPv4 first, the lowest metric), as the CNI
        macvlan plugin picks a master; None when there is none. A multipath route counts by its first hop."""
        for family in (AF_INET, AF_INET6):
            best = None
            for msg in self.rt.route("dump", family=family):
                if msg["type"] != 1 or msg["dst_len"] != 0 or msg.get_attr("RTA_TABLE", msg["table"]) != RT_TABLE_MAIN:
                    continue
                oif = msg.get_attr("RTA_OIF")
                if oif is None and msg.get_attr("RTA_MULTIPATH"):
                    oif = msg.get_attr("RTA_MULTIPATH")[0]["oif"]
                metric = msg.get_attr("RTA_PRIORITY") or 0
                if oif and (best is None or metric < best[0]):
                    best = (metric, oif)
            if best is not None:
                return self.link_name(best[1])
        return None

    def read_parent(self, name: str) -> ParentInfo:
        """The device a new macvlan on `name` really attaches to.

        The kernel attaches a macvlan created on another macvlan to that one's lower
        device, so compare against the resolved lower device."""
        link = self.read_link(name=name, with_ip=False)
        if link is None:
            raise MacvlanError(f"parent {name!r} does not exist in {self.where}")
        if link.kind in MACVLAN_KINDS and link.parent_ifindex and link.parent_netnsid is None:
            lower = self.read_link(index=link.parent_ifindex, with_ip=False)
            if lower is not None:
                link = lower
        return ParentInfo(name=link.name, ifindex=link.ifindex, mtu=link.mtu, mac_address=link.mac_address, where=self.where)

    def bus_device(self, ifindex: int) -> tuple[str | None, str | None]:
        """(bus, device) of the hardware behind a link, e.g. ("pci", "0000:03:00.0").

        From IFLA_PARENT_DEV_BUS_NAME/IFLA_PARENT_DEV_NAME (Linux 5.16+): unlike
        /sys/class/net, /sys/bus/<bus>/devices/<device> does not depend on the namespace
        /sys was mounted for. (None, None) for virtual links, older kernels, a vanished link."""
        msg = self.raw_link(index=ifindex)
        if msg is None:
            return None, None
        return msg.get_attr("IFLA_PARENT_DEV_BUS_NAME"), msg.get_attr("IFLA_PARENT_DEV_NAME")
