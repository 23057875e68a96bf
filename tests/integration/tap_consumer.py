# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A guest's side of a macvtap, as QEMU uses it: open the device node (once per queue), write and
read Ethernet frames, each behind the 10-byte virtio-net header a macvtap queue starts with.

Run as the VM's unprivileged user (runuser -u nobody -g GROUP); standard library only. It sends an
ARP request for the peer's address from the guest's MAC and address, waits for the reply, then an
ICMP echo request and its reply, and prints what it saw as JSON:
  {"opened": N, "arp_reply_mac": ..., "icmp_reply": bool, "reply_queues": [...], "frames_read": N,
   "foreign": [frames addressed to neither this guest nor broadcast/multicast], "error": ...}
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import ipaddress
import json
import os
import select
import struct
import time

VNET_HDR = bytes(10)  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset: zeros, no offloads
TUNGETIFF = 0x800454D2
IFF_VNET_HDR, IFF_MULTI_QUEUE = 0x4000, 0x0100


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def arp_request(mac: bytes, ip: bytes, target: bytes) -> bytes:
    eth = b"\xff" * 6 + mac + b"\x08\x06"
    return eth + struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, ip, b"\0" * 6, target)


def icmp_echo(mac: bytes, peer_mac: bytes, ip: bytes, target: bytes, ident: int) -> bytes:
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"linuxnet.macvlan tap consumer"
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), ident, 0, 64, 1, 0, ip, target)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return peer_mac + mac + b"\x08\x00" + header + icmp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--node", required=True)
    parser.add_argument("--mac", required=True)
    parser.add_argument("--ip", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--queues", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    report: dict = {"uid": os.getuid(), "gid": os.getgid(), "opened": 0, "arp_reply_mac": None, "icmp_reply": False,
                    "reply_queues": [], "frames_read": 0, "foreign": [], "vnet_hdr": None, "error": None}
    fds = []
    try:
        for _queue in range(args.queues):
            fds.append(os.open(args.node, os.O_RDWR | os.O_NONBLOCK))
        report["opened"] = len(fds)
        flags = struct.unpack("16sH", fcntl.ioctl(fds[0], TUNGETIFF, struct.pack("16sH", b"", 0)))[1]
        report["vnet_hdr"] = bool(flags & IFF_VNET_HDR)
        report["multi_queue"] = bool(flags & IFF_MULTI_QUEUE)
        mac, ip, peer = mac_bytes(args.mac), ipaddress.IPv4Address(args.ip).packed, ipaddress.IPv4Address(args.peer).packed
        os.write(fds[0], VNET_HDR + arp_request(mac, ip, peer))
        ident = os.getpid() & 0xFFFF
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and not report["icmp_reply"]:
            readable, _w, _x = select.select(fds, [], [], max(0.0, deadline - time.monotonic()))
            for fd in readable:
                try:
                    frame = os.read(fd, 65536)[len(VNET_HDR):]
                except BlockingIOError:
                    continue
                report["frames_read"] += 1
                dst, src, ethertype = frame[:6], frame[6:12], frame[12:14]
                if dst != mac and not dst[0] & 1:
                    report["foreign"].append(mac_text(dst))
                    continue
                if ethertype == b"\x08\x06" and frame[20:22] == b"\x00\x02" and frame[28:32] == peer and dst == mac:
                    report["arp_reply_mac"] = mac_text(src)
                    report["reply_queues"].append(fds.index(fd))
                    os.write(fds[0], VNET_HDR + icmp_echo(mac, src, ip, peer, ident))
                elif ethertype == b"\x08\x00" and frame[23] == 1 and frame[26:30] == peer and frame[34] == 0 and dst == mac:
                    report["icmp_reply"] = struct.unpack("!H", frame[38:40])[0] == ident
                    report["reply_queues"].append(fds.index(fd))
    except OSError as exc:
        report["error"] = errno.errorcode.get(exc.errno, str(exc.errno))
    finally:
        for fd in fds:
            os.close(fd)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
