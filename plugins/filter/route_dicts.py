# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: route_dicts
short_description: Turn a list of destination CIDRs into the route dictionaries the link modules take
version_added: 0.1.0
author:
  - linuxnet.macvlan maintainers (@linuxnet)
description:
  - Turns each destination into a dictionary with the single key C(dst), an on-link route (no gateway, no metric) in
    the shape the O(linuxnet.macvlan.macvlan_link#module:routes) option takes.
  - Used by the P(linuxnet.macvlan.host_shim#role) role, which takes plain CIDRs in its C(host_shim_routes) variable.
  - The destinations are passed on as they are; the module validates and normalises them.
options:
  _input:
    description: Route destinations, each a CIDR (V(192.0.2.192/27), V(2001:db8::/64)) or V(default).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
---
- name: Route a container range and one IPv6 container through a shim
  linuxnet.macvlan.macvlan_link:
    name: macvlan-shim
    parent: eth0
    mode: bridge
    addresses: [192.0.2.250/32]
    routes: "{{ ['192.0.2.192/27', '2001:db8::200/128'] | linuxnet.macvlan.route_dicts }}"
"""

RETURN = r"""
_value:
  description: One dictionary per destination, in the order given, each with the single key C(dst) holding the destination.
  type: list
  elements: dict
"""

from collections.abc import Iterable
from typing import Any

from ansible.errors import AnsibleFilterError


def route_dicts(destinations: Iterable[Any]) -> list[dict[str, str]]:
    # A lone string would otherwise be taken apart character by character.
    if isinstance(destinations, (str, bytes)) or not isinstance(destinations, Iterable):
        raise AnsibleFilterError(f"route_dicts: expects a list of destinations, got {destinations!r}")
    routes = []
    for destination in destinations:
        if not isinstance(destination, str) or not destination.strip():
            raise AnsibleFilterError(f"route_dicts: {destination!r} is not a destination (a CIDR or 'default')")
        routes.append({"dst": destination})
    return routes


class FilterModule:
    def filters(self):
        return {"route_dicts": route_dicts}
