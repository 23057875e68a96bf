# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stable MAC addresses: the same link gets the same MAC (and DHCP lease) when re-created."""

from __future__ import annotations

import functools
import hashlib

MACHINE_ID_PATH = "/etc/machine-id"


@functools.lru_cache(maxsize=None)
def read_machine_id(path: str = MACHINE_ID_PATH) -> str:
    """The machine's id, read once per module run (macvlan_links asks for every entry)."""
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def stable_mac(seed: str, netns_identity: str, name: str) -> str:
    """sha256("linuxnet.macvlan\\0" + seed + "\\0" + netns_identity + "\\0" + name), first 6 bytes,
    with the locally-administered bit set and the multicast bit cleared.

    The namespace identity is the namespace name ('' for the namespace Ansible runs in),
    so one name in several namespaces, or several names on one parent, get different MACs.
    """
    digest = hashlib.sha256(f"linuxnet.macvlan\0{seed}\0{netns_identity}\0{name}".encode("utf-8")).digest()
    octets = bytearray(digest[:6])
    octets[0] = (octets[0] | 0x02) & 0xFE
    return ":".join(f"{b:02x}" for b in octets)
