# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cidr_overlaps
short_description: Test whether two IP networks or addresses overlap
version_added: 0.1.0
author:
  - linuxnet.macvlan maintainers (@linuxnet)
description:
  - True when the two networks share at least one address. An address without a prefix is a single host.
  - Used by the P(linuxnet.macvlan.host_shim#role) role's preflight checks (with C(select)), so that it needs
    no other collection.
  - Networks of different IP versions never overlap.
options:
  _input:
    description: A network or address in CIDR notation (host bits may be set, as in V(192.0.2.10/24)).
    type: str
    required: true
  other:
    description:
      - The other network or address, or a list of them.
      - With a list, true when O(_input) overlaps any of them; this lets a check over two lists run without a
        loop.
    type: raw
    required: true
"""

EXAMPLES = r"""
---
- name: The shim address must not lie inside a routed container range
  ansible.builtin.assert:
    that: "'192.168.1.250/32' is not linuxnet.macvlan.cidr_overlaps('192.168.1.192/27')"

- name: Routed ranges that contain the host's address
  ansible.builtin.debug:
    msg: "{{ ['192.168.1.0/24', '10.0.0.0/8'] | select('linuxnet.macvlan.cidr_overlaps', '192.168.1.10') }}"

- name: Shim addresses that lie inside any routed range
  ansible.builtin.debug:
    msg: "{{ ['192.168.1.250/32', '192.168.1.200/32'] | select('linuxnet.macvlan.cidr_overlaps', ['192.168.1.192/29', '10.0.0.0/8']) }}"
"""

RETURN = r"""
_value:
  description: Whether the two overlap (with a list, whether O(_input) overlaps any of its entries).
  type: bool
"""

import ipaddress

from ansible.errors import AnsibleError


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_interface(str(value).strip()).network
    except ValueError as exc:
        raise AnsibleError(f"cidr_overlaps: {value!r} is not an IP address or network") from exc


def cidr_overlaps(value: str, other: str | list[str]) -> bool:
    first = _network(value)
    # Ansible hands lists over as its own list types; anything that is not a string is a sequence.
    others = [other] if isinstance(other, str) else other
    return any(first.version == second.version and first.overlaps(second) for second in map(_network, others))


class TestModule:
    def tests(self):
        return {"cidr_overlaps": cidr_overlaps}
