#!/usr/bin/python
# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macvlan_info
short_description: List macvlan and macvtap links and their parents, across network namespaces
version_added: 0.1.0
description:
  - Lists every macvlan and macvtap link in one namespace, or with O(all_netns=true) in the namespace Ansible
    runs in, every namespace under C(/run/netns) and the namespace of every running process (each found once, by
    its inode, because Docker and Podman do not put theirs under C(/run/netns)), and describes each link's parent device.
  - A link in the namespace of a running Docker or Podman container is named by that container
    (RV(links[].container)); the engines are asked through their CLIs, and an engine that is not installed or
    cannot be reached simply names nothing. O(container) lists one container's links.
  - Each entry of RV(links) has the shape of M(linuxnet.macvlan.macvlan_link)'s RV(linuxnet.macvlan.macvlan_link#module:link)
    result, plus the namespace it lives in.
  - A link moved into a container namespace usually keeps its parent in the host. Such a parent is resolved by
    name and namespace (through the namespace id the link's namespace knows the parent's namespace by), not by
    interface index, which is only unique within one namespace. Parents are searched in the namespace Ansible
    runs in and in every namespace under C(/run/netns); a parent elsewhere (for example in a Docker namespace
    under C(/run/docker/netns)) is returned as RV(links[].parent=null).
  - Namespaces that disappear while they are listed are skipped with a warning; only a missing O(netns) is an error.
  - Changes nothing.
author:
  - linuxnet.macvlan maintainers (@linuxnet)
extends_documentation_fragment:
  # The specific attributes first: a fragment never overrides what an earlier one set.
  - linuxnet.macvlan._attributes.INFO_MODULE
  - linuxnet.macvlan._attributes
  - linuxnet.macvlan._requirements
options:
  netns:
    description:
      - The network namespace to list, either a name under C(/run/netns) or an absolute path to a namespace
        file such as C(/proc/PID/ns/net). Omitted means the namespace Ansible runs in.
      - A missing namespace is an error.
    type: str
  all_netns:
    description:
      - List the namespace Ansible runs in, every namespace under C(/run/netns) and every running process's namespace.
    type: bool
    default: false
  container:
    description:
      - List the links in the namespace of this running Docker or Podman container (a name or an id).
      - The engine is asked through its CLI (C(docker) or C(podman) on E(PATH)) with its usual environment
        (E(DOCKER_HOST), E(CONTAINER_HOST)); set them with the task's C(environment) keyword.
    type: str
    version_added: 0.1.0
  container_engine:
    description:
      - Which engine knows O(container), or which engines name the containers of O(all_netns=true).
        V(auto) asks both; both knowing O(container) is an error.
    type: str
    choices: [auto, docker, podman]
    default: auto
    version_added: 0.1.0
  name:
    description:
      - Only links with this name.
    type: str
  parent:
    description:
      - Only links whose parent device has this name (in whichever namespace the parent lives).
    type: str
  tap_dir:
    description:
      - Where the link modules create macvtap device nodes (their O(linuxnet.macvlan.macvlan_link#module:tap_dir)).
        A macvtap's node is looked for there and at C(/dev/tap<ifindex>), and reported only if it is this device.
    type: path
    default: /dev/macvtap
    version_added: 0.1.0
seealso:
  - module: linuxnet.macvlan.macvlan_link
  - module: linuxnet.macvlan.macvlan_promisc
"""

EXAMPLES = r"""
---
- name: List every macvlan on the host and in all named namespaces
  linuxnet.macvlan.macvlan_info:
    all_netns: true
  register: macvlans

- name: Show where each link lives and which parent it uses
  ansible.builtin.debug:
    msg: "{{ item.name }} in {{ item.netns | default('host', true) }} on {{ item.parent }} ({{ item.mode }})"
  loop: "{{ macvlans.links }}"

- name: The links of one Docker container, whose namespace is not under /run/netns
  linuxnet.macvlan.macvlan_info:
    container: pihole
  environment:
    DOCKER_HOST: unix:///run/docker.sock
  register: pihole_links

- name: Is the container's link on eth0, and is eth0 promiscuous?
  linuxnet.macvlan.macvlan_info:
    netns: web1
    parent: eth0
  register: web1_links
"""

RETURN = r"""
links:
  description:
    - One entry per macvlan or macvtap link listed, sorted by namespace and name.
    - The same shape as M(linuxnet.macvlan.macvlan_link)'s RV(linuxnet.macvlan.macvlan_link#module:link), plus RV(links[].parent_netns).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Link name., type: str, returned: always, sample: mv0}
    ifindex: {description: Interface index in the link's namespace., type: int, returned: always, sample: 7}
    kind: {description: V(macvlan) or V(macvtap)., type: str, returned: always, sample: macvlan}
    parent:
      description: Name of the parent device, in the link's namespace or in RV(links[].parent_netns); V(null) if it cannot be seen.
      type: str
      returned: always
      sample: eth0
    parent_netns:
      description:
        - The namespace of the parent, when it is not the link's own namespace; V(null) means the namespace Ansible runs in.
        - Absent when the parent lives in the link's namespace, or when its namespace cannot be seen.
      type: str
      returned: when the parent lives in another namespace
      sample: null
    mode: {description: Macvlan mode., type: str, returned: always, sample: bridge}
    mac_address: {description: MAC address., type: str, returned: always, sample: "02:4b:1c:9e:70:2a"}
    mtu: {description: MTU., type: int, returned: always, sample: 1500}
    up: {description: Administratively up., type: bool, returned: always, sample: true}
    flags: {description: Macvlan flags set., type: list, elements: str, returned: always, sample: []}
    source_macs: {description: Accepted senders (mode source)., type: list, elements: str, returned: always, sample: []}
    bcqueuelen: {description: Broadcast queue length (V(null) if the kernel does not report it)., type: int, returned: always, sample: 1000}
    bc_cutoff: {description: Broadcast cutoff of the parent (V(null) if the kernel does not report it)., type: int, returned: always, sample: 1}
    netns:
      description: The namespace the link lives in, V(null) for the one Ansible runs in, otherwise its name or the path given in O(netns).
      type: str
      returned: always
      sample: web1
    addresses:
      description: The permanent global-scope addresses (set by someone), the ones the link modules manage.
      type: list
      elements: str
      returned: always
      sample: ["192.168.1.20/24"]
    dynamic_addresses:
      description: Global-scope addresses with a lifetime (a DHCP lease, IPv6 autoconfiguration); reported, never managed.
      type: list
      elements: str
      returned: always
      sample: ["192.168.1.57/24"]
    routes:
      description: Routes through the link other than the kernel's own.
      type: list
      elements: dict
      returned: always
      sample: [{dst: 0.0.0.0/0, gateway: 192.168.1.1, metric: 0}]
    promisc: {description: The link's own promiscuous flag., type: bool, returned: always, sample: false}
    numtxqueues: {description: Number of transmit queues., type: int, returned: always, sample: 1}
    numrxqueues: {description: Number of receive queues., type: int, returned: always, sample: 1}
    ipv6:
      description: For a macvtap, whether the host autoconfigures and answers IPv6 on it; V(null) for a macvlan (not read).
      type: bool
      returned: always
      sample: false
    tap:
      description:
        - A macvtap's character device node, the one that is this device (by major:minor); V(null) for a macvlan.
        - RV(links[].tap.path) is V(null) when neither C(/dev/tap<ifindex>) nor a node under O(tap_dir) is this device.
      type: dict
      returned: always
      contains:
        path: {description: The node that is this device., type: str, returned: always, sample: /dev/tap7}
        major: {description: The device's major number., type: int, returned: always, sample: 246}
        minor: {description: The device's minor number., type: int, returned: always, sample: 2}
        uid: {description: The node's owner., type: int, returned: always, sample: 0}
        gid: {description: The node's group., type: int, returned: always, sample: 36}
        mode: {description: The node's permissions in octal., type: str, returned: always, sample: "0660"}
        created: {description: Whether the node is under O(tap_dir) (made by a link module)., type: bool, returned: always, sample: false}
    container:
      description: The Docker or Podman container whose namespace holds the link.
      type: dict
      returned: when an engine knows a running container in that namespace
      version_added: 0.1.0
      contains:
        name: {description: The container's name., type: str, returned: always, sample: pihole}
        id: {description: The container's full id., type: str, returned: always, sample: 3f4e8a0c1b2d}
        engine: {description: V(docker) or V(podman)., type: str, returned: always, sample: docker}
parents:
  description:
    - One entry per parent device of the listed links, sorted by namespace and name.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Device name., type: str, returned: always, sample: eth0}
    netns: {description: Its namespace (V(null) for the one Ansible runs in)., type: str, returned: always, sample: null}
    ifindex: {description: Interface index in that namespace., type: int, returned: always, sample: 2}
    kind:
      description: Link kind for virtual devices (V(veth), V(bridge), V(bond)); V(null) for hardware.
      type: str
      returned: always
      sample: null
    driver:
      description: The kernel driver of the hardware (V(ixgbe), V(virtio_net)), else the link kind; V(null) if unknown.
      type: str
      returned: always
      sample: virtio_net
    wireless:
      description: Whether the device is a Wi-Fi interface (macvlan generally does not work over Wi-Fi); V(null) if unknown.
      type: bool
      returned: always
      sample: false
    promisc: {description: The promiscuous flag a user set (C(ip link set X promisc on))., type: bool, returned: always, sample: false}
    promiscuity:
      description: The kernel's promiscuity counter, which also counts packet sockets, bridges and macvlans on NICs without unicast filtering.
      type: int
      returned: always
      sample: 1
    allmulticast: {description: The all-multicast flag., type: bool, returned: always, sample: false}
    up: {description: Administratively up., type: bool, returned: always, sample: true}
    macvlan_count:
      description: Number of macvlans and macvtaps on this parent, counted in the namespace Ansible runs in and every named one.
      type: int
      returned: always
      sample: 3
    modes: {description: The modes those links use., type: list, elements: str, returned: always, sample: [bridge, vepa]}
namespaces:
  description: The namespaces that were listed (V(null) is the one Ansible runs in).
  returned: always
  type: list
  elements: str
  sample: [null, web1, web2]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import ENGINE_OPTION
from ansible_collections.linuxnet.macvlan.plugins.module_utils._containers.engines import ENGINES, find_container, running_containers
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import DEFAULT_TAP_DIR
from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.scan import collect_inventory
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import validate_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import require_pyroute2


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "netns": {"type": "str"},
            "all_netns": {"type": "bool", "default": False},
            "name": {"type": "str"},
            "parent": {"type": "str"},
            "container": {"type": "str"},
            "container_engine": ENGINE_OPTION,
            "tap_dir": {"type": "path", "default": DEFAULT_TAP_DIR},
        },
        mutually_exclusive=[("netns", "all_netns", "container")],
        supports_check_mode=True,
    )
    require_pyroute2(module)

    params = module.params
    try:
        validate_netns(params["netns"])
        netns, containers = params["netns"], []
        if params["container"] is not None:
            containers = [find_container(params["container"], params["container_engine"])]
            netns = containers[0].netns
        elif params["all_netns"]:
            engine = params["container_engine"]
            containers, _unreachable = running_containers(ENGINES if engine == "auto" else (engine,))
        inventory = collect_inventory(
            netns, params["all_netns"], name=params["name"], parent=params["parent"], containers=containers, tap_dir=params["tap_dir"]
        )
    except MacvlanError as exc:
        module.fail_json(msg=str(exc))

    for warning in inventory.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=False, **inventory)


if __name__ == "__main__":
    main()
