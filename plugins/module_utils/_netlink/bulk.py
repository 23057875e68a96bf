# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bulk link requests in plain rtnetlink bytes, for runs over hundreds of links.

pyroute2 costs about 1 ms to decode one link and about 1.8 ms of event-loop plumbing per
request (measured: benchmarks/README.md). A many-links run needs neither: it compares a
dozen attributes and sends requests that only need an acknowledgement. This file encodes
those few requests and decodes those few attributes with struct, over the namespace's own
socket (a duplicate of the backend's descriptor), and sends a window of requests before it
reads their acknowledgements. Part of the backend: errors leave it as KernelRefusal.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import BC_CUTOFF_DEFAULT, MACVLAN_KINDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import KernelRefusal
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import LinkSpec, ObservedLink

NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLM_F_DUMP, NLM_F_EXCL, NLM_F_CREATE = 0x300, 0x200, 0x400
NLA_F_NESTED = 0x8000
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_LINKINFO = 1, 3, 4, 5, 18
IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES = 31, 32
IFLA_GROUP, IFLA_NET_NS_FD, IFLA_EXT_MASK, IFLA_PROMISCUITY, IFLA_LINK_NETNSID = 27, 28, 29, 30, 37
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFLA_MACVLAN_MODE, IFLA_MACVLAN_FLAGS, IFLA_MACVLAN_MACADDR, IFLA_MACVLAN_MACADDR_DATA = 1, 2, 4, 5
IFLA_MACVLAN_BC_QUEUE_LEN, IFLA_MACVLAN_BC_CUTOFF = 7, 9
RTEXT_FILTER_SKIP_STATS = 1 << 3
IFF_UP, IFF_PROMISC, IFF_ALLMULTI = 0x1, 0x100, 0x200
MODE_NAMES = {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}
MODE_BITS = {name: bit for bit, name in MODE_NAMES.items()}
FLAG_BITS = {"nopromisc": 1, "nodst": 2}
RTM_NEWADDR, RTM_GETADDR, RTM_NEWROUTE, RTM_GETROUTE = 20, 22, 24, 26
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
IFA_F_PERMANENT = 0x80
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE = 1, 4, 5, 6, 15
AF_INET, RT_TABLE_MAIN, RTPROT_KERNEL, RTN_UNICAST = 2, 254, 2, 1
IFADDR = struct.Struct("=BBBBI")  # ifaddrmsg: family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
HEADER = struct.Struct("=LHHLL")  # nlmsghdr: length, type, flags, seq, pid
IFINFO = struct.Struct("=BxHiII")  # ifinfomsg: family, type, index, flags, change
ATTR = struct.Struct("=HH")
# Requests sent before their acknowledgements are read: small enough that the acknowledgements
# (36 bytes each, more for an error) never fill the socket's receive buffer.
WINDOW = 128
FIRST_SEQ = 0x40000000  # above the sequence numbers pyroute2 uses on the same socket


def _attr(kind: int, payload: bytes) -> bytes:
    data = ATTR.pack(ATTR.size + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def _nested(kind: int, *attrs: bytes) -> bytes:
    return _attr(kind | NLA_F_NESTED, b"".join(attrs))


def _attrs(data: bytes, offset: int, end: int) -> dict[int, bytes]:
    result = {}
    while offset + ATTR.size <= end:
        length, kind = ATTR.unpack_from(data, offset)
        if length < ATTR.size:
            break
        result[kind & 0x3FFF] = data[offset + ATTR.size:offset + length]
        offset += (length + 3) & ~3
    return result


def _mac(raw: bytes | None) -> str | None:
    return ":".join(f"{b:02x}" for b in raw) if raw else None


def _u32(raw: bytes | None) -> int | None:
    return struct.unpack("=I", raw[:4])[0] if raw else None


def create_request(spec: LinkSpec, into_netns_fd: int | None) -> tuple[int, int, bytes]:
    """RTM_NEWLINK for one macvlan/macvtap: name, lower device, MAC, MTU, mode, flags, broadcast
    settings and up, all in one message (what pyroute2 would send, without its plumbing)."""
    data = [_attr(IFLA_MACVLAN_MODE, struct.pack("=I", MODE_BITS[spec.mode]))]
    if spec.flags is not None:
        data.append(_attr(IFLA_MACVLAN_FLAGS, struct.pack("=H", sum(FLAG_BITS[f] for f in spec.flags))))
    if spec.bcqueuelen is not None:
        data.append(_attr(IFLA_MACVLAN_BC_QUEUE_LEN, struct.pack("=I", spec.bcqueuelen)))
    if spec.bc_cutoff is not None:
        data.append(_attr(IFLA_MACVLAN_BC_CUTOFF, struct.pack("=i", spec.bc_cutoff)))
    attrs = [_attr(IFLA_IFNAME, spec.name.encode() + b"\0"), _attr(IFLA_LINK, struct.pack("=I", spec.parent_ifindex))]
    if spec.mac_address:
        attrs.append(_attr(IFLA_ADDRESS, bytes.fromhex(spec.mac_address.replace(":", ""))))
    if spec.mtu is not None:
        attrs.append(_attr(IFLA_MTU, struct.pack("=I", spec.mtu)))
    if spec.numtxqueues is not None:
        attrs.append(_attr(IFLA_NUM_TX_QUEUES, struct.pack("=I", spec.numtxqueues)))
    if spec.numrxqueues is not None:
        attrs.append(_attr(IFLA_NUM_RX_QUEUES, struct.pack("=I", spec.numrxqueues)))
    if into_netns_fd is not None:
        attrs.append(_attr(IFLA_NET_NS_FD, struct.pack("=I", into_netns_fd)))
    attrs.append(_nested(IFLA_LINKINFO, _attr(IFLA_INFO_KIND, spec.kind.encode() + b"\0"), _nested(IFLA_INFO_DATA, *data)))
    up = IFF_UP if spec.up else 0
    return RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, IFINFO.pack(0, 0, 0, up, up) + b"".join(attrs)


def group_request(ifindex: int, group: int) -> tuple[int, int, bytes]:
    return RTM_SETLINK, 0, IFINFO.pack(0, 0, ifindex, 0, 0) + _attr(IFLA_GROUP, struct.pack("=I", group))


def delete_group_request(group: int) -> tuple[int, int, bytes]:
    """Delete every link of a group in one request: the kernel unregisters them together, with one
    RCU grace period instead of one per link (1000 links: 0.15 s instead of 18 s, measured)."""
    return RTM_DELLINK, 0, IFINFO.pack(0, 0, 0, 0, 0) + _attr(IFLA_GROUP, struct.pack("=I", group))


def parse_link(data: bytes, offset: int, end: int) -> tuple[ObservedLink, int | None]:
    """One RTM_NEWLINK message into an ObservedLink (and its group), decoding only what is compared."""
    _family, _type, index, flags, _change = IFINFO.unpack_from(data, offset)
    attrs = _attrs(data, offset + IFINFO.size, end)
    link = ObservedLink(
        name=attrs.get(IFLA_IFNAME, b"").rstrip(b"\0").decode(errors="replace"),
        ifindex=index,
        kind=None,
        parent_ifindex=_u32(attrs.get(IFLA_LINK)),
        parent_netnsid=struct.unpack("=i", attrs[IFLA_LINK_NETNSID][:4])[0] if IFLA_LINK_NETNSID in attrs else None,
        mac_address=_mac(attrs.get(IFLA_ADDRESS)),
        mtu=_u32(attrs.get(IFLA_MTU)),
        up=bool(flags & IFF_UP),
        promisc=bool(flags & IFF_PROMISC),
        allmulticast=bool(flags & IFF_ALLMULTI),
        promiscuity=_u32(attrs.get(IFLA_PROMISCUITY)),
        numtxqueues=_u32(attrs.get(IFLA_NUM_TX_QUEUES)),
        numrxqueues=_u32(attrs.get(IFLA_NUM_RX_QUEUES)),
    )
    info = attrs.get(IFLA_LINKINFO)
    if info is not None:
        info_attrs = _attrs(info, 0, len(info))
        link.kind = info_attrs.get(IFLA_INFO_KIND, b"").rstrip(b"\0").decode() or None
        if link.kind in MACVLAN_KINDS and IFLA_INFO_DATA in info_attrs:
            _macvlan_data(link, info_attrs[IFLA_INFO_DATA])
    return link, _u32(attrs.get(IFLA_GROUP))


def _ip(raw: bytes) -> str:
    return ipaddress.ip_address(raw).compressed


def parse_address(data: bytes, offset: int, end: int) -> tuple[int, str, bool] | None:
    """(ifindex, CIDR, permanent) of a global-scope address; link-local ones are skipped undecoded."""
    family, prefixlen, flags, scope, index = IFADDR.unpack_from(data, offset)
    if scope != 0:
        return None
    attrs = _attrs(data, offset + IFADDR.size, end)
    raw = attrs.get(IFA_LOCAL) if family == AF_INET and IFA_LOCAL in attrs else attrs.get(IFA_ADDRESS)
    flags = _u32(attrs.get(IFA_FLAGS)) or flags
    return (index, f"{_ip(raw)}/{prefixlen}", bool(flags & IFA_F_PERMANENT)) if raw else None


def parse_route(data: bytes, offset: int, end: int) -> tuple[int, dict] | None:
    family, dst_len, _src, _tos, table, protocol, _scope, kind, _flags = RTMSG.unpack_from(data, offset)
    if kind != RTN_UNICAST or protocol == RTPROT_KERNEL:
        return None
    attrs = _attrs(data, offset + RTMSG.size, end)
    if _u32(attrs.get(RTA_TABLE)) not in (None, RT_TABLE_MAIN) or (RTA_TABLE not in attrs and table != RT_TABLE_MAIN):
        return None
    dst = _ip(attrs[RTA_DST]) if RTA_DST in attrs else ("0.0.0.0" if family == AF_INET else "::")
    gateway = attrs.get(RTA_GATEWAY)
    metric = _u32(attrs.get(RTA_PRIORITY))
    route = {
        "dst": ipaddress.ip_network(f"{dst}/{dst_len}", strict=False).compressed,
        "gateway": _ip(gateway) if gateway else None,
        "metric": metric if metric is not None else 0,
    }
    return _u32(attrs.get(RTA_OIF)), route


def _macvlan_data(link: ObservedLink, raw: bytes) -> None:
    data = _attrs(raw, 0, len(raw))
    mode = _u32(data.get(IFLA_MACVLAN_MODE))
    link.mode = MODE_NAMES.get(mode, str(mode)) if mode is not None else None
    flags = struct.unpack("=H", data[IFLA_MACVLAN_FLAGS][:2])[0] if IFLA_MACVLAN_FLAGS in data else 0
    link.flags = sorted(name for name, bit in FLAG_BITS.items() if flags & bit)
    macs = data.get(IFLA_MACVLAN_MACADDR_DATA)
    if macs:
        link.source_macs = sorted(_mac(value[:6]) for kind, value in _attr_list(macs) if kind == IFLA_MACVLAN_MACADDR)
    link.bcqueuelen = _u32(data.get(IFLA_MACVLAN_BC_QUEUE_LEN))
    cutoff = data.get(IFLA_MACVLAN_BC_CUTOFF)
    # The kernel only reports a non-default cutoff, and only if it knows the attribute.
    link.bc_cutoff = struct.unpack("=i", cutoff[:4])[0] if cutoff else BC_CUTOFF_DEFAULT if link.bcqueuelen is not None else None


def _attr_list(raw: bytes) -> list[tuple[int, bytes]]:
    """Attributes in order, repeats kept (a source list repeats IFLA_MACVLAN_MACADDR)."""
    result, offset = [], 0
    while offset + ATTR.size <= len(raw):
        length, kind = ATTR.unpack_from(raw, offset)
        if length < ATTR.size:
            break
        result.append((kind & 0x3FFF, raw[offset + ATTR.size:offset + length]))
        offset += (length + 3) & ~3
    return result


class RawLinks:
    """Bulk link requests on a duplicate of a backend socket's descriptor (same namespace).

    The backend's own socket is idle between its requests, and every reply to a request sent
    here is read here before returning, so the two never see each other's messages."""

    def __init__(self, fileno: int, where: str):
        self.sock = socket.socket(fileno=os.dup(fileno))
        self.sock.settimeout(30)  # the descriptor is non-blocking (asyncio's); wait with a timeout
        self.where = where
        self.seq = FIRST_SEQ

    def close(self) -> None:
        self.sock.close()

    def _send(self, kind: int, flags: int, payload: bytes) -> int:
        self.seq += 1
        self.sock.send(HEADER.pack(HEADER.size + len(payload), kind, NLM_F_REQUEST | flags, self.seq, 0) + payload)
        return self.seq

    def _messages(self):
        """(type, flags, seq, data, offset, end) of each message received."""
        data = self.sock.recv(1 << 20)
        offset = 0
        while offset + HEADER.size <= len(data):
            length, kind, flags, seq, _pid = HEADER.unpack_from(data, offset)
            if length < HEADER.size:
                break
            yield kind, flags, seq, data, offset + HEADER.size, offset + length
            offset += (length + 3) & ~3

    def _dump(self, request: int, payload: bytes, answer: int, parse, what: str) -> list:
        """Send one dump request; parse(data, offset, end) each answer, dropping None."""
        seq = self._send(request, NLM_F_DUMP, payload)
        result = []
        while True:
            for kind, _flags, got, data, offset, end in self._messages():
                if got != seq:
                    continue
                if kind == NLMSG_DONE:
                    return result
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", data, offset)[0]
                    raise KernelRefusal(code, os.strerror(code), what, self.where)
                if kind == answer:
                    item = parse(data, offset, end)
                    if item is not None:
                        result.append(item)

    def dump(self, kind_filter: str | None = None) -> list[tuple[ObservedLink, int | None]]:
        """Every link (or, where the kernel filters strictly, every link of one kind), without statistics."""
        payload = IFINFO.pack(0, 0, 0, 0, 0) + _attr(IFLA_EXT_MASK, struct.pack("=I", RTEXT_FILTER_SKIP_STATS))
        if kind_filter is not None:
            payload += _nested(IFLA_LINKINFO, _attr(IFLA_INFO_KIND, kind_filter.encode() + b"\0"))
        return self._dump(RTM_GETLINK, payload, RTM_NEWLINK, parse_link, "link dump")

    def addresses(self) -> list[tuple[int, str, bool]]:
        """(ifindex, CIDR, permanent) of every global-scope address."""
        return self._dump(RTM_GETADDR, IFADDR.pack(0, 0, 0, 0, 0), RTM_NEWADDR, parse_address, "address dump")

    def routes(self, family: int) -> list[tuple[int, dict]]:
        """(output ifindex, route) of every main-table unicast route someone added (not the kernel)."""
        payload = RTMSG.pack(family, 0, 0, 0, RT_TABLE_MAIN, 0, 0, 0, 0) + _attr(RTA_TABLE, struct.pack("=I", RT_TABLE_MAIN))
        return self._dump(RTM_GETROUTE, payload, RTM_NEWROUTE, parse_route, "route dump")

    def run(self, requests: list[tuple[int, int, bytes]]) -> list[KernelRefusal | None]:
        """Send requests in windows and collect each one's answer: None, or why the kernel refused."""
        answers: list[KernelRefusal | None] = []
        for start in range(0, len(requests), WINDOW):
            window = {self._send(kind, flags | NLM_F_ACK, payload): i for i, (kind, flags, payload) in enumerate(requests[start:start + WINDOW])}
            results: dict[int, KernelRefusal | None] = {}
            while len(results) < len(window):
                for kind, _flags, seq, data, offset, _end in self._messages():
                    if kind == NLMSG_ERROR and seq in window:
                        code = -struct.unpack_from("=i", data, offset)[0]
                        names = {RTM_NEWLINK: "link add", RTM_SETLINK: "link set", RTM_DELLINK: "link del"}
                        request = names.get(requests[start + window[seq]][0], "link request")
                        results[window[seq]] = KernelRefusal(code, os.strerror(code), request, self.where) if code else None
            answers.extend(results[i] for i in range(len(window)))
        return answers
