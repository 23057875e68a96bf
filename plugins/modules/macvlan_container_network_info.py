#!/usr/bin/python
# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macvlan_container_network_info
short_description: Read a Docker or Podman macvlan network and derive the host shim that reaches its containers
version_added: 0.1.0
description:
  - Reads a container engine's macvlan network (C(docker network inspect), C(podman network inspect)) and derives
    the host shim that lets the host reach the network's containers, as the M(linuxnet.macvlan.macvlan_link) options
    of that shim. The C(linuxnet.macvlan.host_shim) role uses it for C(host_shim_container_network).
  - The parent is the network's C(-o parent=). The routes are each C(--ip-range) (IPv4 and IPv6; Podman's lease range);
    a network without one gets one V(/32) or V(/128) route per running container on it, never the whole subnet (that
    would cut the host off its LAN). Without O(shim_addresses), the shim's addresses are the network's reserved
    auxiliary addresses (C(--aux-address)), the lowest one per IP version.
  - Fails, naming the address and the range, when a shim address lies inside the range the engine hands out to
    containers and is not reserved (a future container could get the host's address); Podman cannot reserve addresses,
    so its shim address must lie outside the lease range (which includes the range's last address).
  - Fails for a network that does not exist, is not a macvlan network, or is in C(private) mode (no shim can reach
    its containers); warns for C(vepa) mode (only a hairpinning switch port makes it work).
  - The engine is asked through its CLI (C(docker) or C(podman) on E(PATH)) with its usual environment
    (E(DOCKER_HOST), E(CONTAINER_HOST)); set them with the task's C(environment) keyword.
author:
  - linuxnet.macvlan maintainers (@linuxnet)
extends_documentation_fragment:
  - linuxnet.macvlan._attributes.INFO_MODULE
  - linuxnet.macvlan._attributes
options:
  name:
    description: The engine's network, by name or id.
    type: str
    required: true
  engine:
    description: Which engine has the network. V(auto) asks both; both having a network of that name is an error.
    type: str
    choices: [auto, docker, podman]
    default: auto
  shim_addresses:
    description:
      - The shim addresses to check against the network's allocations, as CIDRs. Omitted means the network's
        auxiliary addresses (an error when it has none).
    type: list
    elements: str
  shim_parent:
    description: A parent the user named for the shim; anything but the network's parent is an error.
    type: str
seealso:
  - module: linuxnet.macvlan.macvlan_link
  - name: docker network create
    description: The C(--ip-range) and C(--aux-address) options the shim relies on.
    link: https://docs.docker.com/reference/cli/docker/network/create/
"""

EXAMPLES = r"""
---
- name: Derive the shim for the macvlan network the containers use
  linuxnet.macvlan.macvlan_container_network_info:
    name: macvlan_01
  register: lan

- name: Give the host that shim
  linuxnet.macvlan.macvlan_link:
    name: macvlan-shim
    parent: "{{ lan.shim.parent }}"
    addresses: "{{ lan.shim.addresses }}"
    routes: "{{ lan.shim.routes | linuxnet.macvlan.route_dicts }}"
"""

RETURN = r"""
network:
  description: The network as the engine describes it.
  returned: always
  type: dict
  contains:
    name: {description: Its name., type: str, returned: always, sample: macvlan_01}
    engine: {description: V(docker) or V(podman)., type: str, returned: always, sample: docker}
    driver: {description: The network driver., type: str, returned: always, sample: macvlan}
    parent: {description: The parent interface (C(-o parent=))., type: str, returned: always, sample: eth0}
    mode: {description: The macvlan mode (V(bridge) when the engine sets none)., type: str, returned: always, sample: bridge}
    subnets:
      description: Each subnet with its gateway, allocation range (V(null) for none) and reserved auxiliary addresses.
      type: list
      elements: dict
      returned: always
      sample: [{subnet: 192.168.1.0/24, gateway: 192.168.1.1, ip_range: 192.168.1.192/27, aux_addresses: [192.168.1.223]}]
    containers:
      description: The running containers on the network and their addresses.
      type: list
      elements: dict
      returned: always
      sample: [{name: pihole, addresses: ["192.168.1.192/24"]}]
shim:
  description: The shim that reaches the network's containers.
  returned: always
  type: dict
  contains:
    parent: {description: The parent for the shim., type: str, returned: always, sample: eth0}
    routes: {description: The CIDRs to route through the shim., type: list, elements: str, returned: always, sample: ["192.168.1.192/27"]}
    addresses: {description: The shim's addresses., type: list, elements: str, returned: always, sample: ["192.168.1.223/32"]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import ENGINE_OPTION
from ansible_collections.linuxnet.macvlan.plugins.module_utils._containers.networks import derive_shim, read_network
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "engine": ENGINE_OPTION,
            "shim_addresses": {"type": "list", "elements": "str"},
            "shim_parent": {"type": "str"},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        network = read_network(params["name"], params["engine"])
        shim = derive_shim(network, params["shim_addresses"] or None, params["shim_parent"] or None)
    except MacvlanError as exc:
        module.fail_json(msg=str(exc))
    for warning in shim.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=False, network=network.result(), shim=shim)


if __name__ == "__main__":
    main()
