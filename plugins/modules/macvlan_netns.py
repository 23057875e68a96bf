#!/usr/bin/python
# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macvlan_netns
short_description: Give a container (any network namespace) its own macvlan on a parent that lives elsewhere
version_added: 0.1.0
description:
  - Creates, reconciles in place, or deletes one macvlan or macvtap link inside a target network namespace whose
    lower device (O(parent)) lives in another namespace (O(parent_netns)), the way container setups do it by hand
    with C(ip link add link eth0 mac1 type macvlan), C(ip link set mac1 netns net1),
    C(ip netns exec net1 ip link set mac1 name eth0), C(ip addr add ...) and C(ip link set eth0 up),
    or with pipework and the CNI macvlan plugin.
  - The link is created from the parent's side directly inside the target namespace under its final name
    (as the CNI macvlan plugin does), so no temporary link ever appears next to the parent, and MAC, MTU,
    addresses, routes and up state are applied in the same run. If any step fails, the new link is deleted
    again; a namespace this task created for it (O(create_netns)) is removed again too.
  - An existing link named O(name) in the target is only treated as this task's link if it is a macvlan or
    macvtap whose lower device is O(parent) in O(parent_netns). It is then reconciled in place exactly like
    M(linuxnet.macvlan.macvlan_link) does (mode, flags, source MACs, MAC, MTU, up, addresses, routes).
  - A link of that name that is not a macvlan or macvtap (for example the container's veth C(eth0)) is never
    changed or deleted. A macvlan of that name on another lower device is refused unless O(recreate) allows
    replacing it.
  - With O(parent) omitted, an existing macvlan named O(name) is reconciled whatever its lower device
    ("don't care"); a new link goes on the interface that holds the default route in O(parent_netns), as the CNI
    macvlan plugin does (RV(link.parent) names it, in check mode too). No default route there is an error.
  - A Docker or Podman container is a target by its name or id (O(container)). Its stable MAC is derived from
    the container's name, so a re-created container (new namespace, new process) gets the same MAC back, and so the
    same DHCP lease. The interfaces the engine created for the container's own networks (for example the
    C(eth0) of a Docker C(macvlan) network) are never changed or deleted; the module refuses, naming that network.
author:
  - linuxnet.macvlan maintainers (@linuxnet)
extends_documentation_fragment:
  # The specific attributes first: a fragment never overrides what an earlier one set.
  - linuxnet.macvlan._attributes.LINK_MODULE
  - linuxnet.macvlan._attributes
  - linuxnet.macvlan._link_options
  - linuxnet.macvlan._requirements
attributes:
  check_mode:
    support: full
    details:
      - Predicts whether anything changes and the end state exactly, including for a namespace O(create_netns) would create;
        a random MAC or a new ifindex cannot be predicted and is returned as V(null).
options:
  name:
    description:
      - Name of the link inside the target namespace (for example V(eth0)), 1 to 15 bytes, without C(/), C(:)
        or whitespace.
    type: str
    required: true
  netns:
    description:
      - The target namespace. Either a name under C(/run/netns) (as listed by C(ip netns list)) or an absolute
        path to a namespace file such as C(/proc/PID/ns/net) or C(/run/docker/netns/ID).
      - Exactly one of O(netns), O(pid) and O(container) is required.
    type: str
  pid:
    description:
      - Target the network namespace of this process (for example a container's init process).
      - Exactly one of O(netns), O(pid) and O(container) is required.
    type: int
  container:
    description:
      - Target the network namespace of this running Docker or Podman container, by name or id.
      - The engine is asked through its CLI (C(docker) or C(podman) on E(PATH)) with its usual environment
        (E(DOCKER_HOST), E(CONTAINER_HOST)); set them with the task's C(environment) keyword.
      - Exactly one of O(netns), O(pid) and O(container) is required.
    type: str
    version_added: 0.1.0
  container_engine:
    description:
      - Which engine knows O(container). V(auto) asks both and uses the one that knows it; both knowing a
        container of that name is an error.
    type: str
    choices: [auto, docker, podman]
    default: auto
    version_added: 0.1.0
  create_netns:
    description:
      - Create a missing named namespace O(netns), as C(ip netns add) does.
      - Never applies to a path or a O(pid); a missing namespace is otherwise an error.
    type: bool
    default: false
  parent:
    description:
      - The lower device (for example V(enp0s8)) in O(parent_netns).
      - Omitted when the link must be created, the interface that holds the default route in O(parent_netns)
        (IPv4 first, then IPv6; the lowest metric) is used, as the CNI macvlan plugin does. No default route is an error.
      - If it is itself a macvlan, the kernel attaches the link to that macvlan's lower device, and the module
        compares against that resolved device.
      - On an existing link, omitted means "don't care"; a different parent needs O(recreate).
    type: str
  parent_netns:
    description:
      - The namespace O(parent) lives in, as a name under C(/run/netns) or an absolute path to a namespace file.
      - Omitted means the namespace Ansible runs in. It is never created.
    type: str
  mac_address_policy:
    description:
      - How to choose the MAC of a link created without O(mac_address).
      - V(stable) derives a locally administered unicast address from SHA-256 of
        C(linuxnet.macvlan\0<seed>\0<identity>\0<name>) (first six bytes, bit 0x02 set, bit 0x01 cleared),
        where C(<seed>) is O(mac_address_seed) and C(<identity>) identifies the target namespace, so C(eth0) in
        ten named namespaces on one parent gets ten different MACs.
      - For a named O(netns), C(<identity>) is that name; for a O(container), C(container/<name>) with the
        container's name (not its id, which changes when it is re-created). A O(pid) or a namespace path has no identity that
        survives the container, so C(<identity>) is the first entry of O(addresses) in canonical CIDR form
        (for example V(192.168.8.120/24)); without O(addresses) the kernel picks a random MAC and the task warns.
      - V(random) lets the kernel pick a random address.
    type: str
    choices: [stable, random]
    default: stable
notes:
  - The parent and the target may be the same namespace, but M(linuxnet.macvlan.macvlan_link) is the module for that.
  - Deleting the parent deletes every macvlan on it, in every namespace; deleting the target namespace (or
    ending the process that holds it) deletes the link.
seealso:
  - module: linuxnet.macvlan.macvlan_link
  - name: CNI macvlan plugin
    description: Creates a macvlan inside a container's namespace the same way.
    link: https://www.cni.dev/plugins/current/main/macvlan/
"""

EXAMPLES = r"""
---
- name: Give namespace net1 its own eth0 on the host's enp0s8 (the classic hand-run ip commands)
  linuxnet.macvlan.macvlan_netns:
    name: eth0
    netns: net1
    create_netns: true
    parent: enp0s8
    mode: bridge
    addresses:
      - 192.168.8.120/24
    routes:
      - dst: default
        gateway: 192.168.8.1

- name: A macvlan in a running container's namespace, found through its process id
  linuxnet.macvlan.macvlan_netns:
    name: eth1
    pid: "{{ container_pid }}"
    parent: eth0
    addresses:
      - 192.168.8.121/24

- name: A second NIC for a running Docker container (as pipework does), on the host's other LAN
  linuxnet.macvlan.macvlan_netns:
    name: eth1
    container: homeassistant
    parent: enp0s9
    addresses:
      - 192.168.9.40/24
  environment:
    DOCKER_HOST: unix:///run/docker.sock

- name: The only NIC of a Podman container started with --network none, on the default-route interface
  linuxnet.macvlan.macvlan_netns:
    name: eth0
    container: pihole
    container_engine: podman
    addresses:
      - 192.168.1.53/24
    routes:
      - dst: default
        gateway: 192.168.1.1

- name: A lab namespace whose parent is in another lab namespace
  linuxnet.macvlan.macvlan_netns:
    name: eth0
    netns: lab-c1
    parent: eth0
    parent_netns: lab-host1
    addresses:
      - 10.77.0.11/24

- name: Remove the container's macvlan (a veth of that name would be left alone, with an error)
  linuxnet.macvlan.macvlan_netns:
    name: eth0
    netns: net1
    state: absent
"""

RETURN = r"""
dhcp:
  description:
    - The link's DHCP client, when O(dhcp) is given or the link is absent (in check mode, what would run).
  returned: when O(dhcp) is set, or O(state=absent)
  type: dict
  contains:
    running: {description: Whether a client runs for the link at the end., type: bool, returned: always, sample: true}
    client: {description: V(udhcpc) or V(dhclient)., type: str, returned: always, sample: udhcpc}
    pid: {description: The client's process id (V(null) in check mode)., type: int, returned: always, sample: 4242}
    address: {description: The leased IPv4 address (V(null) in check mode or when stopped)., type: str, returned: always, sample: 192.168.1.57/24}
link:
  description:
    - The link's end state inside the target namespace (in check mode, the predicted end state).
      Empty when the link is absent.
  returned: always
  type: dict
  contains:
    name: {description: Link name in the target namespace., type: str, returned: when present, sample: eth0}
    ifindex: {description: Interface index in the target namespace (V(null) when only predicted)., type: int, returned: when present, sample: 7}
    kind: {description: V(macvlan) or V(macvtap)., type: str, returned: when present, sample: macvlan}
    parent:
      description: The lower device in RV(parent_netns) (V(null) if it lives in a namespace the module was not told about).
      type: str
      returned: when present
      sample: enp0s8
    mode: {description: Macvlan mode., type: str, returned: when present, sample: bridge}
    mac_address: {description: MAC address., type: str, returned: when present, sample: "02:4b:1c:9e:70:2a"}
    mtu: {description: MTU., type: int, returned: when present, sample: 1500}
    up: {description: Administratively up., type: bool, returned: when present, sample: true}
    flags: {description: Macvlan flags set., type: list, elements: str, returned: when present, sample: []}
    source_macs: {description: Accepted senders (mode source)., type: list, elements: str, returned: when present, sample: []}
    bcqueuelen: {description: Broadcast queue length (V(null) if the kernel does not report it)., type: int, returned: when present, sample: 1000}
    bc_cutoff: {description: Broadcast cutoff of the parent (V(null) if the kernel does not report it)., type: int, returned: when present, sample: 1}
    netns: {description: The target namespace (as RV(netns))., type: str, returned: when present, sample: net1}
    addresses:
      description: The permanent global-scope addresses (set by someone), the ones O(addresses) manages.
      type: list
      elements: str
      returned: when present
      sample: ["192.168.8.120/24"]
    dynamic_addresses:
      description: Global-scope addresses with a lifetime (a DHCP lease, IPv6 autoconfiguration); reported, never managed.
      type: list
      elements: str
      returned: when present
      sample: ["192.168.1.57/24"]
    routes:
      description: Routes through the link other than the kernel's own.
      type: list
      elements: dict
      returned: when present
      sample: [{dst: 0.0.0.0/0, gateway: 192.168.8.1, metric: 0}]
    promisc: {description: The promiscuous flag., type: bool, returned: when present, sample: false}
    numtxqueues: {description: Number of transmit queues (fixed at creation)., type: int, returned: when present, sample: 1}
    numrxqueues: {description: Number of receive queues (fixed at creation)., type: int, returned: when present, sample: 1}
    ipv6:
      description:
        - Whether the host autoconfigures and answers IPv6 on the link (C(disable_ipv6) 0 and C(addr_gen_mode) not V(none)).
        - V(null) when not read (O(ipv6) unset on a macvlan) or when the kernel has no IPv6.
      type: bool
      returned: when present
      sample: false
    tap:
      description:
        - A macvtap's character device node, the one that is this device (its major:minor are those of the link's own
          sysfs entry); V(null) for a macvlan.
        - In check mode, for a link still to be created, RV(link.tap.path), RV(link.tap.major) and RV(link.tap.minor) are V(null).
      type: dict
      returned: when present
      contains:
        path: {description: "The node to open (for QEMU's C(-netdev tap,fd=N)).", type: str, returned: always, sample: /dev/macvtap/vm1/macvtap0}
        major: {description: The device's major number., type: int, returned: always, sample: 246}
        minor: {description: The device's minor number., type: int, returned: always, sample: 2}
        uid: {description: The node's owner., type: int, returned: always, sample: 0}
        gid: {description: The node's group., type: int, returned: always, sample: 36}
        mode: {description: The node's permissions in octal., type: str, returned: always, sample: "0660"}
        created:
          description: Whether the node is one this module created under O(tap_dir) (removed with the link), not C(/dev/tap<ifindex>).
          type: bool
          returned: always
          sample: true
netns:
  description: The target namespace, as given in O(netns), or C(/proc/PID/ns/net) for O(pid) and O(container).
  returned: always
  type: str
  sample: net1
container:
  description: The container targeted by O(container).
  returned: when O(container) is set
  type: dict
  version_added: 0.1.0
  contains:
    name: {description: The container's name., type: str, returned: always, sample: homeassistant}
    id: {description: The container's full id., type: str, returned: always, sample: 3f4e8a0c1b2d}
    engine: {description: V(docker) or V(podman)., type: str, returned: always, sample: docker}
parent_netns:
  description: The parent's namespace as given in O(parent_netns); V(null) for the namespace Ansible runs in.
  returned: always
  type: str
  sample: null
recreated:
  description: Whether the link was deleted and created again.
  returned: always
  type: bool
  sample: false
recreate_reasons:
  description: "Each attribute that required re-creation, as C(attribute: current -> wanted)."
  returned: always
  type: list
  elements: str
  sample: ["parent: 3 -> enp0s8"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import ENGINE_OPTION
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import require_pyroute2
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_options import LINK_ARGUMENT_SPEC
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.report import one_link_result
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.run import RunResult, run_links
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.targets import netns_target, random_mac_warning

ARGUMENT_SPEC = dict(
    LINK_ARGUMENT_SPEC,
    netns={"type": "str"},
    pid={"type": "int"},
    container={"type": "str"},
    container_engine=ENGINE_OPTION,
    create_netns={"type": "bool", "default": False},
    parent_netns={"type": "str"},
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("netns", "pid", "container")],
        required_one_of=[("netns", "pid", "container")],
        supports_check_mode=True,
    )
    require_pyroute2(module)
    try:
        target = netns_target(module.params)
        entries = [target.entry] if target.entry is not None else []
        run = run_links(module.get_bin_path, entries, module.check_mode, create_netns=target.create) if entries else RunResult([], {})
    except MacvlanError as exc:
        module.fail_json(msg=str(exc))
    warning = random_mac_warning(target, module.params, run.work)
    if warning:
        module.warn(warning)
    result = dict(one_link_result(run, target.netns, module._diff), netns=target.netns, parent_netns=target.parent_netns)
    if target.container is not None:
        result["container"] = target.container.result()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
