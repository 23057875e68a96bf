# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A link's IPv6 switches: /proc/sys/net/ipv6/conf/NAME/{disable_ipv6,addr_gen_mode}.

These functions run inside the link's namespace (_devices.in_netns): /proc/sys/net shows the
namespace of the process that reads it, so the namespace Ansible runs in is never touched.
"""

from __future__ import annotations

import os

CONF = "/proc/sys/net/ipv6/conf"


def _read(path: str) -> int:
    with open(path, encoding="ascii") as value:
        return int(value.read().strip())


def read_ipv6_sysctls(name: str) -> dict | None:
    """{disable_ipv6, addr_gen_mode, default_addr_gen_mode}, or None when IPv6 is not there for the link."""
    link = os.path.join(CONF, name)
    if not os.path.isdir(link):
        return None
    return {
        "disable_ipv6": _read(os.path.join(link, "disable_ipv6")),
        "addr_gen_mode": _read(os.path.join(link, "addr_gen_mode")),
        "default_addr_gen_mode": _read(os.path.join(CONF, "default", "addr_gen_mode")),
    }


def write_ipv6_sysctls(name: str, writes: list) -> dict | None:
    """Write (sysctl, value) pairs in order, then read them all back."""
    for sysctl, value in writes:
        with open(os.path.join(CONF, name, sysctl), "w", encoding="ascii") as target:
            target.write(f"{int(value)}\n")
    return read_ipv6_sysctls(name)
