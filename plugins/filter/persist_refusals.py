# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: persist_refusals
short_description: Say which values cannot be written safely into a shell line, unit file, stanza or keyfile
version_added: 0.1.0
author:
  - linuxnet.macvlan maintainers (@linuxnet)
description:
  - Takes a dictionary of variable name to V([kind, value]) and returns one sentence per value that the persistence files of the
    P(linuxnet.macvlan.host_shim#role) role cannot carry, naming the variable and the first character refused.
  - Interface names (kind V(ifname)) are limited to ASCII letters, digits, V(_), V(-) and V(.), and may not start with V(-).
    The kernel accepts far more (anything but V(/), V(:) and whitespace), but V($), V(%), quotes, V(;), backquotes, V(*),
    V(?), V([), V(!) or a newline mean something to a shell, to systemd, to ifupdown or to the C(Name=) globs of
    systemd-networkd.
  - Addresses and routes (kind V(cidr)) must be an IPv4 or IPv6 address or network with a prefix length, or V(default)
    (kind V(route)); MACs (kind V(mac)) six colon-separated hex pairs; paths (kind V(path)) may hold no control character.
  - Used by the role before it writes anything; the role also quotes each value for its format.
options:
  _input:
    description: Variable name to V([kind, value]); a list value is checked element by element.
    type: dict
    required: true
"""

EXAMPLES = r"""
---
- name: Refuse values the persistence files cannot carry
  ansible.builtin.assert:
    that: host_shim__refusals | length == 0
    fail_msg: "{{ host_shim__refusals | join(' ') }}"
  vars:
    host_shim__refusals: "{{ {'host_shim_name': ['ifname', host_shim_name]} | linuxnet.macvlan.persist_refusals }}"
"""

RETURN = r"""
_value:
  description: One sentence per refused value; empty when every value is safe.
  type: list
  elements: str
"""

import ipaddress
import re
from typing import Any

from ansible.errors import AnsibleFilterError

IFNAME_CHARS = re.compile(r"[A-Za-z0-9_.-]")
MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
CIDR_CHARS = re.compile(r"[0-9A-Fa-f:./]")
WHY = {
    "ifname": "an interface name in the persistence files may hold only ASCII letters, digits, '_', '-' and '.'",
    "cidr": "an address is an IPv4 or IPv6 address with a prefix length, for example 192.0.2.250/32",
    "route": "a route destination is an IPv4 or IPv6 network with a prefix length, or 'default'",
    "mac": "a MAC is six colon-separated pairs of hex digits",
    "path": "a path in the persistence files may hold no control character",
}


def _char(value: str, allowed: re.Pattern) -> str | None:
    return next((c for c in value if not allowed.fullmatch(c)), None)


def _show(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X})"


def refusal(kind: str, value: Any) -> str | None:
    """Why `value` cannot go into a persistence file as a `kind`, or None (pure)."""
    if kind not in WHY:
        raise AnsibleFilterError(f"persist_refusals: unknown kind {kind!r}")
    if not isinstance(value, str):
        return f"{value!r} is not a string; {WHY[kind]}"
    if kind == "path":
        bad = next((c for c in value if ord(c) < 32 or ord(c) == 127), None)
        return None if bad is None else f"{_show(bad)} is refused: {WHY[kind]}"
    if kind == "ifname":
        bad = _char(value, IFNAME_CHARS)
        if bad is not None:
            return f"{_show(bad)} is refused: {WHY[kind]}"
        if value.startswith("-"):
            return f"a leading '-' is refused (commands would take it for an option); {WHY[kind]}"
        return None if value else f"an empty name is refused; {WHY[kind]}"
    if kind == "mac":
        bad = _char(value, re.compile(r"[0-9A-Fa-f:]"))
        if bad is not None:
            return f"{_show(bad)} is refused: {WHY[kind]}"
        return None if MAC.fullmatch(value) else f"{value!r} is refused: {WHY[kind]}"
    if kind == "route" and value == "default":
        return None
    bad = _char(value, CIDR_CHARS)
    if bad is not None:
        return f"{_show(bad)} is refused: {WHY[kind]}"
    try:
        if kind == "cidr":
            ipaddress.ip_interface(value)
        else:
            ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{value!r} is refused: {WHY[kind]}"
    return None if "/" in value else f"{value!r} is refused (no prefix length): {WHY[kind]}"


def persist_refusals(checks: dict) -> list[str]:
    if not isinstance(checks, dict):
        raise AnsibleFilterError(f"persist_refusals: expects a dictionary of variable to [kind, value], got {checks!r}")
    found = []
    for variable, (kind, value) in checks.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            why = refusal(kind, item)
            if why is not None:
                shown = f"{variable}={item!r}" if not isinstance(value, list) else f"{variable} entry {item!r}"
                found.append(f"{shown}: {why}.")
    return found


class FilterModule:
    def filters(self):
        return {"persist_refusals": persist_refusals}
