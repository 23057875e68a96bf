#!/usr/bin/python
# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macvlan_link
short_description: Manage a macvlan or macvtap link on a parent device
version_added: 0.1.0
description:
  - Creates, reconciles in place, or deletes one macvlan or macvtap link that lives in the same network
    namespace as its parent, like C(ip link add dev macvlan0 link eth0 type macvlan mode bridge).
  - Whatever the kernel can change on a live link (mode, except into or out of passthru; flags; the source
    MAC list; broadcast queue settings; MAC; MTU; up/down; addresses; routes) is changed in place and the
    link keeps its ifindex.
  - The parent, the kind and passthru transitions cannot change on a live link; see O(recreate).
  - A link of the same name that is not a macvlan or macvtap (a veth, a bridge, a NIC) is never changed or deleted.
  - If the parent given is itself a macvlan, the kernel attaches the new link to that macvlan's lower device;
    the module compares against that resolved lower device, and returns it as RV(link.parent).
  - If a step fails after this task created the link, the link is deleted again; if a re-creation fails,
    the previous link is restored.
author:
  - linuxnet.macvlan maintainers (@linuxnet)
extends_documentation_fragment:
  # The specific attributes first: a fragment never overrides what an earlier one set.
  - linuxnet.macvlan._attributes.LINK_MODULE
  - linuxnet.macvlan._attributes
  - linuxnet.macvlan._netns
  - linuxnet.macvlan._link_options
  - linuxnet.macvlan._requirements
attributes:
  check_mode:
    support: full
    details:
      - Predicts whether anything changes and the end state exactly; a random MAC or a new ifindex cannot be predicted and is returned as V(null).
options:
  name:
    description:
      - Name of the link, 1 to 15 bytes, without C(/), C(:) or whitespace.
    type: str
    required: true
  parent:
    description:
      - The lower device (for example V(eth0)) in the same namespace.
      - Omitted when the link must be created, the interface that holds the default route (IPv4 first, then IPv6;
        the lowest metric) is used, as the CNI macvlan plugin does; RV(link.parent) names it, in check mode too.
        No default route is an error.
      - On an existing link, omitted means "don't care"; a different parent needs O(recreate).
    type: str
seealso:
  - module: linuxnet.macvlan.macvlan_netns
  - module: linuxnet.macvlan.macvlan_info
  - name: ip-link(8), MACVLAN and MACVTAP Type Support
    description: The iproute2 manual's description of the macvlan modes, flags and source-mode MAC lists.
    link: https://man7.org/linux/man-pages/man8/ip-link.8.html
  - name: Linux macvlan driver
    description: The kernel's macvlan implementation (drivers/net/macvlan.c).
    link: https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/drivers/net/macvlan.c
"""

EXAMPLES = r"""
---
- name: Create a bridge-mode macvlan on eth0 (like ip link add macvlan0 link eth0 type macvlan mode bridge)
  linuxnet.macvlan.macvlan_link:
    name: macvlan0
    parent: eth0
    mode: bridge

- name: Host shim with a /32 and a route to the container range
  linuxnet.macvlan.macvlan_link:
    name: macvlan-shim
    parent: eth0
    addresses:
      - 192.168.1.250/32
    routes:
      - dst: 192.168.1.192/27

- name: Source-mode link that only accepts frames from two senders
  linuxnet.macvlan.macvlan_link:
    name: mvsrc0
    parent: eth0
    mode: source
    source_macs:
      - 52:54:00:aa:bb:01
      - 52:54:00:aa:bb:02

- name: Switch an existing link to passthru, allowing delete + create
  linuxnet.macvlan.macvlan_link:
    name: macvlan0
    parent: eth0
    mode: passthru
    recreate: options-changed

- name: A macvtap for a VM inside a lab namespace
  linuxnet.macvlan.macvlan_link:
    name: macvtap0
    parent: eth1
    kind: macvtap
    netns: lab1

- name: Remove the link
  linuxnet.macvlan.macvlan_link:
    name: macvlan0
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
    - The link's end state (in check mode, the predicted end state). Empty when the link is absent.
  returned: always
  type: dict
  contains:
    name: {description: Link name., type: str, returned: when present, sample: macvlan0}
    ifindex: {description: Interface index (V(null) when only predicted)., type: int, returned: when present, sample: 7}
    kind: {description: V(macvlan) or V(macvtap)., type: str, returned: when present, sample: macvlan}
    parent: {description: The lower device the kernel attached the link to., type: str, returned: when present, sample: eth0}
    mode: {description: Macvlan mode., type: str, returned: when present, sample: bridge}
    mac_address: {description: MAC address., type: str, returned: when present, sample: "02:4b:1c:9e:70:2a"}
    mtu: {description: MTU., type: int, returned: when present, sample: 1500}
    up: {description: Administratively up., type: bool, returned: when present, sample: true}
    flags: {description: Macvlan flags set., type: list, elements: str, returned: when present, sample: []}
    source_macs: {description: Accepted senders (mode source)., type: list, elements: str, returned: when present, sample: []}
    bcqueuelen: {description: Broadcast queue length (V(null) if the kernel does not report it)., type: int, returned: when present, sample: 1000}
    bc_cutoff: {description: Broadcast cutoff of the parent (V(null) if the kernel does not report it)., type: int, returned: when present, sample: 1}
    netns: {description: Namespace as given in O(netns)., type: str, returned: when present, sample: null}
    addresses:
      description: The permanent global-scope addresses (set by someone), the ones O(addresses) manages.
      type: list
      elements: str
      returned: when present
      sample: ["192.168.1.250/32"]
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
      sample: [{dst: 192.168.1.192/27, gateway: null, metric: 0}]
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
  sample: ["mode: bridge -> passthru (passthru cannot be entered or left on a live link)"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import require_pyroute2
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_options import LINK_ARGUMENT_SPEC
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.report import one_link_result
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.run import run_links
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.targets import link_entry


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(LINK_ARGUMENT_SPEC, netns={"type": "str"}),
        supports_check_mode=True,
    )
    require_pyroute2(module)
    try:
        run = run_links(module.get_bin_path, [link_entry(module.params)], module.check_mode)
    except MacvlanError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**one_link_result(run, module.params["netns"], module._diff))


if __name__ == "__main__":
    main()
