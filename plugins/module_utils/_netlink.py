# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netlink backend: the only code in the collection that imports pyroute2.

It reads links, addresses and routes into plain, normalised dicts and performs single
kernel operations. It decides nothing: the planner decides, the modules orchestrate.
"""

from __future__ import annotations

import errno
import importlib.util
import ipaddress
import os
import sys
import traceback

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netns import describe_netns, netns_exists, netns_path

# Mirrored by the "requirements" doc fragment and requirements.txt.
PYROUTE2_MIN_VERSION = "0.9.1"


def _register_pyroute2_without_init() -> None:
    """Let the backend import pyroute2's submodules without running pyroute2/__init__.py.

    That file only re-exports every socket class the library has (IPDB, NDB, conntrack, nftables,
    wireguard, ...): importing it costs 0.33 s here, against 0.19 s for the submodules the backend
    uses, and every module run pays it. So the package is registered from its spec, unexecuted,
    and its submodules load as usual. A process that already imported pyroute2 keeps it; if the
    package cannot be found, the imports below fail as they would anyway.
    """
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or spec.submodule_search_locations is None:
        return
    sys.modules["pyroute2"] = importlib.util.module_from_spec(spec)


try:
    _register_pyroute2_without_init()
    from pyroute2.iproute.linux import IPRoute, RequestProcessor
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.netlink.rtnl import ifinfmsg as _ifinfmsg
except ImportError:
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR: str | None = traceback.format_exc()

    class NetlinkError(Exception):  # type: ignore[no-redef]
        """Stand-in so `except NetlinkError` stays valid without pyroute2."""

        code = 0

else:
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None

MACVLAN_KINDS = ("macvlan", "macvtap")
MODE_BITS = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}
FLAG_BITS = {"nopromisc": 1, "nodst": 2}
IFF_UP = 0x1
IFF_PROMISC = 0x100
IFF_ALLMULTI = 0x200
RTPROT_KERNEL = 2
RT_TABLE_MAIN = 254
RT_SCOPE_LINK = 253
BC_CUTOFF_DEFAULT = 1
# Kernel releases that first understood these attributes (named in errors when ignored).
ATTRIBUTE_KERNELS = {"bcqueuelen": "5.11", "bc_cutoff": "6.5", "flags nodst": "4.20", "mode source": "4.9"}

_EXTRA_MACVX_ATTRS = (
    ("IFLA_MACVLAN_BC_QUEUE_LEN", "uint32"),
    ("IFLA_MACVLAN_BC_QUEUE_LEN_USED", "uint32"),
    ("IFLA_MACVLAN_BC_CUTOFF", "int32"),
)


def _teach_pyroute2_macvlan_attrs() -> None:
    """pyroute2 0.9 does not map the broadcast queue attributes; append them once.

    macvtap_data copies macvx_data's map when pyroute2 is imported, so both need it.
    Must run before the first message is encoded (the maps are compiled lazily).
    """
    base = _ifinfmsg.macvx_data
    names = {entry[0] for entry in base.nla_map}
    if "IFLA_MACVLAN_BC_QUEUE_LEN" not in names:
        base.nla_map = tuple(base.nla_map) + _EXTRA_MACVX_ATTRS
    tap = _ifinfmsg.ifinfmsg.ifinfo.macvtap_data
    tap_names = {entry[0] for entry in tap.nla_map}
    if "IFLA_MACVTAP_BC_QUEUE_LEN" not in tap_names:
        tap.nla_map = list(tap.nla_map) + [(n.replace("MACVLAN", "MACVTAP"), t) for n, t in _EXTRA_MACVX_ATTRS]


if HAS_PYROUTE2:
    _teach_pyroute2_macvlan_attrs()


def errno_name(err: NetlinkError) -> str:
    code = getattr(err, "code", 0)
    return f"{errno.errorcode.get(code, code)} ({err})"


def _mode_name(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    for name, bit in MODE_BITS.items():
        if bit == value:
            return name
    return str(value)


def _flag_names(value) -> list[str]:
    if value in (None, "none", 0):
        return []
    if isinstance(value, str):
        value = FLAG_BITS.get(value, 0)
    return sorted(name for name, bit in FLAG_BITS.items() if value & bit)


class Netlink:
    """One rtnetlink socket in one namespace, reused for every call of a module run."""

    def __init__(self, netns: str | None = None, create: bool = False):
        self.netns = netns
        self.where = describe_netns(netns)
        if netns is not None and not create and not netns_exists(netns):
            raise MacvlanError(f"{self.where} does not exist (namespaces are never created implicitly)")
        kw: dict = {}
        if netns is not None:
            # flags=0: never create a missing namespace as a side effect.
            kw = {"netns": netns_path(netns) if netns.startswith("/") else netns, "flags": 0x40 if create else 0}
        try:
            # Strict checking (Linux 4.20+) lets the kernel filter address and route dumps
            # by link: with a thousand macvlans that is one message instead of thousands.
            self.ipr = IPRoute(strict_check=True, **kw)
            self.strict = True
        except OSError as exc:
            if exc.errno not in (errno.ENOPROTOOPT, errno.EINVAL):
                raise MacvlanError(f"cannot open {self.where}: {exc.strerror or exc}") from exc
            self.ipr = IPRoute(**kw)
            self.strict = False

    def close(self) -> None:
        self.ipr.close()

    def __enter__(self) -> Netlink:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ---- reading -------------------------------------------------------------------------

    def raw_link(self, name: str | None = None, index: int | None = None):
        try:
            if index is not None:
                return self.ipr.link("get", index=index)[0]
            return self.ipr.link("get", ifname=name)[0]
        except NetlinkError as exc:
            if exc.code in (errno.ENODEV, errno.ENOENT, errno.EINVAL):
                return None
            raise

    def link_name(self, index: int) -> str | None:
        msg = self.raw_link(index=index)
        return msg.get_attr("IFLA_IFNAME") if msg is not None else None

    def read_link(self, name: str | None = None, index: int | None = None, with_ip: bool = True) -> dict | None:
        """The normalised state of one link, or None when there is no such link."""
        msg = self.raw_link(name=name, index=index)
        if msg is None:
            return None
        return self._normalise(msg, with_ip)

    def dump_links(self, kinds: tuple[str, ...] | None = None, with_ip: bool = True) -> list[dict]:
        if kinds is None or not self.strict:
            messages = list(self.ipr.link("dump"))
        else:
            # A strict dump carrying IFLA_INFO_KIND is filtered by the kernel (as `ip link show type
            # macvlan`): only links of these kinds are sent and decoded, not every veth and bridge of a
            # container host. One dump per kind; sorted back into ifindex order below.
            messages = [
                msg
                for kind in kinds
                for msg in self.ipr.link("dump", IFLA_LINKINFO={"attrs": [("IFLA_INFO_KIND", kind)]}, **self._kernel_filter())
            ]
        result = []
        for msg in sorted(messages, key=lambda m: m["index"]):
            state = self._normalise(msg, with_ip=False)
            if kinds is None or state["kind"] in kinds:
                result.append(state)
        if with_ip:
            for state in result:
                state["addresses"] = self.read_addresses(state["ifindex"])
                state["routes"] = self.read_routes(state["ifindex"])
        return result

    def _normalise(self, msg, with_ip: bool) -> dict:
        linkinfo = msg.get_attr("IFLA_LINKINFO")
        kind = linkinfo.get_attr("IFLA_INFO_KIND") if linkinfo else None
        data = linkinfo.get_attr("IFLA_INFO_DATA") if linkinfo else None
        flags = msg["flags"]
        state = {
            "name": msg.get_attr("IFLA_IFNAME"),
            "ifindex": msg["index"],
            "kind": kind,
            "parent_ifindex": msg.get_attr("IFLA_LINK"),
            "parent_netnsid": msg.get_attr("IFLA_LINK_NETNSID"),
            "mac_address": (msg.get_attr("IFLA_ADDRESS") or "").lower() or None,
            "mtu": msg.get_attr("IFLA_MTU"),
            "up": bool(flags & IFF_UP),
            "promisc": bool(flags & IFF_PROMISC),
            "allmulticast": bool(flags & IFF_ALLMULTI),
            "promiscuity": msg.get_attr("IFLA_PROMISCUITY"),
            "operstate": msg.get_attr("IFLA_OPERSTATE"),
            "mode": None,
            "flags": [],
            "source_macs": [],
            "bcqueuelen": None,
            "bc_cutoff": None,
        }
        if kind in MACVLAN_KINDS and data is not None:
            prefix = "IFLA_MACVTAP_" if kind == "macvtap" else "IFLA_MACVLAN_"
            state["mode"] = _mode_name(data.get_attr(prefix + "MODE"))
            state["flags"] = _flag_names(data.get_attr(prefix + "FLAGS"))
            macs = data.get_attr(prefix + "MACADDR_DATA")
            if macs:
                state["source_macs"] = sorted(v.lower() for k, v in macs["attrs"] if k.endswith("MACADDR"))
            state["bcqueuelen"] = data.get_attr(prefix + "BC_QUEUE_LEN")
            cutoff = data.get_attr(prefix + "BC_CUTOFF")
            # The kernel only reports a non-default cutoff, and only if it knows the attribute.
            state["bc_cutoff"] = BC_CUTOFF_DEFAULT if cutoff is None and state["bcqueuelen"] is not None else cutoff
        if with_ip:
            state["addresses"] = self.read_addresses(state["ifindex"])
            state["routes"] = self.read_routes(state["ifindex"])
        return state

    def fill_parent_names(self, states: list[dict]) -> None:
        """Set 'parent' to the lower device's name where it lives in this namespace.

        A lower device in another namespace (parent_netnsid set) is named by the caller,
        which knows which namespaces to look in (see peer_nsid)."""
        names: dict[int, str | None] = {}
        for state in states:
            index = state.get("parent_ifindex")
            if not index or state.get("parent_netnsid") is not None or index == state["ifindex"]:
                state["parent"] = None
                continue
            if index not in names:
                names[index] = self.link_name(index)
            state["parent"] = names[index]

    def peer_nsid(self, netns: str | None) -> int | None:
        """The id under which this socket's namespace knows `netns` (None: unknown/no id).

        IFLA_LINK_NETNSID of a link whose parent lives elsewhere is such an id, so this
        tells whether that parent lives in `netns`."""
        path = "/proc/self/ns/net" if netns is None else netns_path(netns)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            nsid = self.ipr.get_netnsid(fd=fd).get("nsid")
        finally:
            os.close(fd)
        return None if nsid in (None, 0xFFFFFFFF, -1) else nsid

    def _kernel_filter(self) -> dict:
        """With strict checking, an explicit (empty) dump filter makes pyroute2 send the
        other keywords (index, oif, table) in the request, where the kernel filters by them.
        The callers still check every message, so both paths give the same result."""
        return {"dump_filter": RequestProcessor()} if self.strict else {}

    def read_addresses(self, ifindex: int) -> list[str]:
        """Global-scope addresses; IPv6 link-local belongs to the kernel and is not managed."""
        result = []
        for msg in self.ipr.addr("dump", index=ifindex, **self._kernel_filter()):
            if msg["index"] != ifindex or msg["scope"] != 0:
                continue
            address = msg.get_attr("IFA_ADDRESS")
            if msg["family"] == 2 and msg.get_attr("IFA_LOCAL"):
                address = msg.get_attr("IFA_LOCAL")
            result.append(f"{ipaddress.ip_address(address).compressed}/{msg['prefixlen']}")
        return sorted(result, key=lambda c: (ipaddress.ip_interface(c).version, int(ipaddress.ip_interface(c).ip)))

    def read_routes(self, ifindex: int) -> list[dict]:
        """Unicast routes in the main table through this link that someone added (not the kernel)."""
        result = []
        for family in (2, 10):
            for msg in self.ipr.route("dump", family=family, table=RT_TABLE_MAIN, oif=ifindex, **self._kernel_filter()):
                if msg.get_attr("RTA_OIF") != ifindex or msg["type"] != 1 or msg["proto"] == RTPROT_KERNEL:
                    continue
                if msg.get_attr("RTA_TABLE", msg["table"]) != RT_TABLE_MAIN:
                    continue
                dst = msg.get_attr("RTA_DST") or ("0.0.0.0" if family == 2 else "::")
                net = ipaddress.ip_network(f"{dst}/{msg['dst_len']}", strict=False)
                gateway = msg.get_attr("RTA_GATEWAY")
                metric = msg.get_attr("RTA_PRIORITY")
                result.append(
                    {
                        "dst": net.compressed,
                        "gateway": ipaddress.ip_address(gateway).compressed if gateway else None,
                        "metric": metric if metric is not None else 0,
                    }
                )
        return sorted(result, key=lambda r: (r["dst"], r["gateway"] or "", r["metric"]))

    def resolve_parent(self, name: str) -> dict:
        """The device a new macvlan on `name` really attaches to.

        The kernel attaches a macvlan created on another macvlan to that one's lower
        device, so compare against the resolved lower device.
        """
        state = self.read_link(name=name, with_ip=False)
        if state is None:
            raise MacvlanError(f"parent {name!r} does not exist in {self.where}")
        if state["kind"] in MACVLAN_KINDS and state["parent_ifindex"] and state["parent_netnsid"] is None:
            lower = self.read_link(index=state["parent_ifindex"], with_ip=False)
            if lower is not None:
                return lower
        return state

    def macvlans_on(self, parent_ifindex: int) -> list[dict]:
        return [
            s
            for s in self.dump_links(MACVLAN_KINDS, with_ip=False)
            if s["parent_ifindex"] == parent_ifindex and s["parent_netnsid"] is None
        ]

    # ---- writing -------------------------------------------------------------------------

    @staticmethod
    def _info_data(spec: dict) -> dict:
        """pyroute2 keyword arguments for IFLA_INFO_DATA (macvtap takes the same names)."""
        kw: dict = {}
        kind = spec.get("kind", "macvlan")
        if spec.get("mode") is not None:
            kw[f"{kind}_mode"] = spec["mode"]
        if spec.get("flags") is not None:
            kw[f"{kind}_flags"] = sum(FLAG_BITS[f] for f in spec["flags"])
        if spec.get("bcqueuelen") is not None:
            kw[f"{kind}_bc_queue_len"] = spec["bcqueuelen"]
        if spec.get("bc_cutoff") is not None:
            kw[f"{kind}_bc_cutoff"] = spec["bc_cutoff"]
        return kw

    def create_macvlan(self, spec: dict) -> int:
        """Create a macvlan/macvtap (down). spec: name, kind, parent_ifindex, mode, flags,
        mac_address, mtu, bcqueuelen, bc_cutoff; optional target_netns_fd to create it
        directly inside another namespace (as the CNI plugin does)."""
        kw = {
            "ifname": spec["name"],
            "kind": spec.get("kind", "macvlan"),
            "link": spec["parent_ifindex"],
        }
        kw.update(self._info_data(spec))
        if spec.get("mac_address"):
            kw["address"] = spec["mac_address"]
        if spec.get("mtu") is not None:
            kw["mtu"] = spec["mtu"]
        if spec.get("target_netns_fd") is not None:
            kw["net_ns_fd"] = spec["target_netns_fd"]
        self.ipr.link("add", **kw)
        if spec.get("target_netns_fd") is not None:
            return 0
        return self.ipr.link_lookup(ifname=spec["name"])[0]

    def set_info_data(self, ifindex: int, kind: str, changes: dict) -> None:
        self.ipr.link("set", index=ifindex, kind=kind, **self._info_data(dict(changes, kind=kind)))

    def set_source_macs(self, ifindex: int, kind: str, macs: list[str]) -> None:
        prefix = "IFLA_MACVTAP_" if kind == "macvtap" else "IFLA_MACVLAN_"
        if macs:
            # The nested form matters: a bare list is accepted and silently flushes the list.
            data = {"attrs": [(prefix + "MACADDR", mac) for mac in macs]}
            self.ipr.link("set", index=ifindex, kind=kind, **{f"{kind}_macaddr_mode": "set", f"{kind}_macaddr_data": data})
        else:
            self.ipr.link("set", index=ifindex, kind=kind, **{f"{kind}_macaddr_mode": "flush"})

    def set_link(self, ifindex: int, **changes) -> None:
        """Generic link attributes: mac_address, mtu, up, name, promisc, allmulticast, netns_fd."""
        kw: dict = {}
        if "mac_address" in changes:
            kw["address"] = changes["mac_address"]
        if "mtu" in changes:
            kw["mtu"] = changes["mtu"]
        if "name" in changes:
            kw["ifname"] = changes["name"]
        if "netns_fd" in changes:
            kw["net_ns_fd"] = changes["netns_fd"]
        mask = 0
        bits = 0
        for key, bit in (("up", IFF_UP), ("promisc", IFF_PROMISC), ("allmulticast", IFF_ALLMULTI)):
            if key in changes:
                mask |= bit
                bits |= bit if changes[key] else 0
        if mask:
            kw["flags"] = bits
            kw["change"] = mask
        if kw:
            self.ipr.link("set", index=ifindex, **kw)

    def delete_link(self, ifindex: int) -> None:
        self.ipr.link("del", index=ifindex)

    def add_address(self, ifindex: int, cidr: str) -> None:
        iface = ipaddress.ip_interface(cidr)
        self.ipr.addr("add", index=ifindex, address=iface.ip.compressed, prefixlen=iface.network.prefixlen)

    def del_address(self, ifindex: int, cidr: str) -> None:
        iface = ipaddress.ip_interface(cidr)
        self.ipr.addr("del", index=ifindex, address=iface.ip.compressed, prefixlen=iface.network.prefixlen)

    def _route_kw(self, ifindex: int, route: dict) -> dict:
        net = ipaddress.ip_network(route["dst"])
        kw = {"oif": ifindex, "dst_len": net.prefixlen, "family": 2 if net.version == 4 else 10, "table": RT_TABLE_MAIN}
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

    def add_route(self, ifindex: int, route: dict) -> None:
        self.ipr.route("add", **self._route_kw(ifindex, route))

    def del_route(self, ifindex: int, route: dict) -> None:
        self.ipr.route("del", **self._route_kw(ifindex, route))

    # ---- netns placement (issue 4) ----

    @staticmethod
    def create_named_netns(name: str) -> None:
        """Create /run/netns/NAME as `ip netns add` does (only when the user asked for it)."""
        from pyroute2.netns import create as create_netns

        try:
            create_netns(name)
        except OSError as exc:
            raise MacvlanError(f"create_netns: cannot create {describe_netns(name)}: {exc.strerror or exc}") from exc

    @staticmethod
    def remove_named_netns(name: str) -> None:
        """Undo create_named_netns (used when the run that created it fails)."""
        from pyroute2.netns import remove as remove_netns

        remove_netns(name)

    # ---- promisc / info (issue 5) ----

    def bus_device(self, ifindex: int) -> tuple[str | None, str | None]:
        """(bus, device) of the hardware behind a link, e.g. ("pci", "0000:03:00.0").

        From IFLA_PARENT_DEV_BUS_NAME/IFLA_PARENT_DEV_NAME (Linux 5.16+): unlike
        /sys/class/net, /sys/bus/<bus>/devices/<device> does not depend on the namespace
        /sys was mounted for. (None, None) for virtual links, older kernels, a vanished link."""
        msg = self.raw_link(index=ifindex)
        if msg is None:
            return None, None
        return msg.get_attr("IFLA_PARENT_DEV_BUS_NAME"), msg.get_attr("IFLA_PARENT_DEV_NAME")
