#!/usr/bin/python
# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macvlan_links
short_description: Manage many macvlan and macvtap links, in many namespaces, in one task
version_added: 0.1.0
description:
  - Manages a host's whole macvlan configuration in one task, in the shape of Ansible's network resource
    modules (O(config) plus O(state)), the host's own links and its containers' links side by side.
  - Each entry of O(config) takes the options of M(linuxnet.macvlan.macvlan_link), plus where the link lives
    (O(config[].netns)) and where its parent lives (O(config[].parent_netns)), as in M(linuxnet.macvlan.macvlan_netns).
    Every entry goes through the same planner as those modules, with the same rules (re-creation only with
    O(config[].recreate), stable MACs, a link that is not a macvlan or macvtap is never touched).
  - Every entry is validated and planned before the first change to the kernel, so a bad entry anywhere fails
    the task with nothing changed, naming the entry by index and name. Listing one link twice is refused.
  - If applying an entry fails, the links before it stay converged, that link is undone (a link it created is
    deleted, a link it re-created is restored, live changes are reverted) and the message says which links were
    converged and which were not attempted.
  - Each namespace is read with one kernel-filtered link dump plus one address and one route dump, however many
    links it holds; a new link is created up with one request. Use it instead of a loop over
    M(linuxnet.macvlan.macvlan_link) once a host has more than a few links.
author:
  - linuxnet.macvlan maintainers (@linuxnet)
extends_documentation_fragment:
  # The specific attributes first: a fragment never overrides what an earlier one set.
  - linuxnet.macvlan._attributes.LINK_MODULE
  - linuxnet.macvlan._attributes
  - linuxnet.macvlan._requirements
attributes:
  check_mode:
    support: full
    details:
      - Predicts every link's end state; a random MAC or a new ifindex cannot be predicted and is returned as V(null).
  idempotent:
    support: partial
    details:
      - Idempotent except for entries with O(config[].recreate=always), which are re-created on every run.
options:
  state:
    description:
      - V(merged) creates or updates the listed links; options left out of an entry mean "don't care".
      - V(replaced) makes each listed link exactly its entry; options left out go back to what a new link gets
        (mode V(bridge), no flags, no source MACs, up, the parent's MTU, no addresses, no routes). A link keeps
        its MAC and its broadcast queue settings unless the entry sets them.
      - V(overridden) is V(replaced), and also deletes every other macvlan and macvtap on the parents named in
        O(config), in the namespaces named there. Links in namespaces not named in O(config) (for example a
        container engine's endpoints) and links that are not macvlans are never deleted.
      - V(deleted) deletes the listed links; an entry with only O(config[].parent) (and O(config[].netns)) deletes
        every macvlan and macvtap on that parent in that namespace.
      - V(gathered) changes nothing and returns RV(gathered), the current links in the O(config) shape. Entries
        narrow what is gathered (O(config[].netns), O(config[].parent), O(config[].name)); without O(config), the
        links of the namespace Ansible runs in.
    type: str
    choices: [merged, replaced, overridden, deleted, gathered]
    default: merged
  netns:
    description:
      - Where the entries that name no O(config[].netns) (and no O(config[].container)) live, and their parents too
        unless O(parent_netns) or O(config[].parent_netns) says otherwise, as in M(linuxnet.macvlan.macvlan_link).
      - With O(state=gathered) and no O(config), the namespace to gather. Omitted means the namespace Ansible runs in.
      - It is also what C(module_defaults) for the action group C(group/linuxnet.macvlan.macvlan) gives this module.
    type: str
  parent_netns:
    description:
      - Where the parents of entries that name no O(config[].parent_netns) live.
    type: str
  config:
    description:
      - The links. Each option means what it means in M(linuxnet.macvlan.macvlan_link).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the link, 1 to 15 bytes. Required, except in an entry of O(state=deleted) that names only a
            parent, or one of O(state=gathered).
        type: str
      netns:
        description:
          - Where the link lives, a name under C(/run/netns) or an absolute path to a namespace file
            (C(/proc/PID/ns/net)). Omitted means the namespace Ansible runs in. A missing namespace is an error.
        type: str
      container:
        description:
          - Where the link lives, as a running Docker or Podman container's name or id (instead of O(config[].netns)),
            exactly as in M(linuxnet.macvlan.macvlan_netns) (the stable MAC from the container's name, the engine's own
            endpoints never changed or deleted).
        type: str
        version_added: 0.1.0
      container_engine:
        description: Which engine knows O(config[].container); V(auto) asks both.
        type: str
        choices: [auto, docker, podman]
        default: auto
        version_added: 0.1.0
      parent:
        description:
          - The lower device.
          - Omitted on a link that must be created, the interface holding the default route in the parent's namespace
            (O(config[].parent_netns); IPv4 first, then IPv6, the lowest metric) is used, as in
            M(linuxnet.macvlan.macvlan_link); the C(parent) of RV(links[].link) names it, in check mode too. No default route
            there is an error.
          - On an existing link, omitted means "don't care".
        type: str
      parent_netns:
        description:
          - Where the parent lives, as O(config[].netns). Omitted means the namespace Ansible runs in (as in
            M(linuxnet.macvlan.macvlan_netns)), so for a link next to its parent in a named namespace set both.
        type: str
      kind:
        description: Link type, see M(linuxnet.macvlan.macvlan_link).
        type: str
        choices: [macvlan, macvtap]
        default: macvlan
      mode:
        description: Macvlan mode, see M(linuxnet.macvlan.macvlan_link). A new link defaults to V(bridge).
        type: str
        choices: [bridge, vepa, private, passthru, source]
      mac_address:
        description: The link's MAC address.
        type: str
      mac_address_policy:
        description:
          - How a link created without O(config[].mac_address) gets its MAC, see M(linuxnet.macvlan.macvlan_link).
          - The namespace part of a V(stable) MAC is the namespace name (empty for the one Ansible runs in); for a
            path it is the first address, or, without addresses, the MAC is random.
        type: str
        choices: [stable, random]
        default: stable
      mac_address_seed:
        description: Seed for V(stable) MACs; defaults to the content of C(/etc/machine-id).
        type: str
      mtu:
        description: MTU; it cannot exceed the parent's.
        type: int
      up:
        description: Whether the link is administratively up.
        type: bool
        default: true
      flags:
        description: The exact set of macvlan flags.
        type: list
        elements: str
        choices: [nopromisc, nodst]
      source_macs:
        description: The exact set of sender MACs a mode V(source) link accepts.
        type: list
        elements: str
      bcqueuelen:
        description: Broadcast queue length (Linux 5.11 and later), read back after writing.
        type: int
      bc_cutoff:
        description: Broadcast cutoff of the parent (Linux 6.5 and later), read back after writing.
        type: int
      addresses:
        description: The exact set of global-scope addresses, as CIDRs.
        type: list
        elements: str
      routes:
        description: The exact set of routes through the link.
        type: list
        elements: dict
        suboptions:
          dst:
            description: Destination network as a CIDR, or V(default).
            type: str
            required: true
          gateway:
            description: Next hop; omitted for an on-link route.
            type: str
          metric:
            description: Route metric; omitted means the kernel default.
            type: int
      recreate:
        description: What may be fixed by deleting and creating the link again, see M(linuxnet.macvlan.macvlan_link).
        type: str
        choices: [never, options-changed, always]
        default: never
      dhcp:
        description:
          - One DHCP client for the link inside its namespace, see M(linuxnet.macvlan.macvlan_link). The clients of
            all entries are started first, then their leases are awaited together. A link that is deleted, or
            V(false), stops the client and releases the lease.
        type: bool
      dhcp_client:
        description: The DHCP client to run (V(auto) takes udhcpc, then dhclient).
        type: str
        choices: [auto, udhcpc, dhclient]
        default: auto
      dhcp_state_dir:
        description: Where the clients keep their files.
        type: path
        default: /run/linuxnet-macvlan/dhcp
      dhcp_timeout:
        description: Seconds to wait for the leases of clients this task started.
        type: int
        default: 10
      dhcp_default_route:
        description:
          - Whether the lease's router becomes the default route. Omitted means V(true) when the link lives in another
            namespace than its parent (a container) and V(false) when it lives next to it.
        type: bool
      tap_dir:
        description:
          - Where a macvtap's device node is created when C(/dev/tap<ifindex>) is missing or is another device (ifindexes
            repeat across namespaces, and devtmpfs gives C(/dev/tapN) to the first macvtap that took the number only).
          - The node is C(TAP_DIR/NAMESPACE/LINK); NAMESPACE is the namespace's name, or C(netns-INODE) for the namespace
            Ansible runs in, a C(/proc/PID/ns/net) or a container's namespace. A node found is trusted only when its
            major:minor are the ones in the link's own sysfs entry.
          - A node created here is removed with the link (a deleted entry with the same O(config[].tap_dir)).
        type: path
        default: /dev/macvtap
        version_added: 0.1.0
      tap_owner:
        description:
          - Owner (name or uid) of the macvtap's device node, for example the user a VM runs as. Omitted means "don't care"
            (a node created here belongs to root).
          - Only for O(config[].kind=macvtap); refused on a macvlan.
        type: str
        version_added: 0.1.0
      tap_group:
        description:
          - Group (name or gid) of the macvtap's device node; with O(config[].tap_mode=0660) its members (the VM's user, C(kvm))
            can open it. Omitted means "don't care". Only for O(config[].kind=macvtap).
        type: str
        version_added: 0.1.0
      tap_mode:
        description:
          - Permissions of the macvtap's device node, as an octal string such as V('0660') (quote it in YAML).
            Omitted means "don't care"; a node created here gets V('0600'). Only for O(config[].kind=macvtap).
        type: raw
        version_added: 0.1.0
      numtxqueues:
        description:
          - Number of transmit queues, fixed when the link is created (1 to 4096; the kernel default is 1). A macvtap for
            a multiqueue guest gets one queue per vCPU; each C(open()) of its device node is one queue.
          - On an existing link a different value needs O(config[].recreate=options-changed). Omitted means "don't care".
        type: int
        version_added: 0.1.0
      numrxqueues:
        description:
          - Number of receive queues, as O(config[].numtxqueues).
        type: int
        version_added: 0.1.0
      ipv6:
        description:
          - V(false) makes the host neither autoconfigure nor answer IPv6 on the link (C(addr_gen_mode) V(none) and
            C(disable_ipv6) inside the link's namespace), the usual setting for a VM's or a container's NIC whose
            addresses are the guest's business. Both are read back.
          - V(true) enables IPv6 again with the namespace's default address generation. Omitted means "don't care".
        type: bool
        version_added: 0.1.0
notes:
  - Container targets by engine and container name are not supported yet; use O(config[].netns) with the
    container's C(/proc/PID/ns/net).
seealso:
  - module: linuxnet.macvlan.macvlan_link
  - module: linuxnet.macvlan.macvlan_netns
  - module: linuxnet.macvlan.macvlan_info
"""

EXAMPLES = r"""
---
- name: A host shim and two containers' links, in one task
  linuxnet.macvlan.macvlan_links:
    config:
      - name: shim0
        parent: eth0
        addresses: [192.168.1.250/32]
        routes: [{dst: 192.168.1.192/27}]
      - name: eth1
        netns: web1
        parent: eth0
        addresses: [192.168.1.193/24]
      - name: eth1
        netns: web2
        parent: eth0
        addresses: [192.168.1.194/24]

- name: Exactly these macvlans on eth0, and no others (orphans of crashed scripts are deleted)
  linuxnet.macvlan.macvlan_links:
    state: overridden
    config:
      - {name: shim0, parent: eth0, addresses: [192.168.1.250/32]}

- name: Read the current configuration in the same shape
  linuxnet.macvlan.macvlan_links:
    state: gathered
  register: current

- name: Delete every macvlan on eth1
  linuxnet.macvlan.macvlan_links:
    state: deleted
    config:
      - parent: eth1
"""

RETURN = r"""
links:
  description: One entry per link the task looked at, in the order of O(config) (deleted orphans first).
  returned: unless O(state=gathered)
  type: list
  elements: dict
  contains:
    name: {description: Link name., type: str, returned: always, sample: shim0}
    netns: {description: Where the link lives (V(null) for the namespace Ansible runs in)., type: str, returned: always, sample: null}
    action:
      description: What happened to the link (in check mode, what would).
      type: str
      returned: always
      choices: [created, updated, recreated, deleted, unchanged]
      sample: created
    recreate_reasons: {description: Why the link was re-created., type: list, elements: str, returned: always, sample: []}
    link:
      description:
        - The link's end state in the shape of M(linuxnet.macvlan.macvlan_link)'s RV(linuxnet.macvlan.macvlan_link#module:link);
          empty when deleted. A macvtap's C(tap) is its device node (C(path), C(major), C(minor), C(uid), C(gid),
          C(mode), C(created)); C(ipv6), C(numtxqueues) and C(numrxqueues) as there.
      type: dict
      returned: always
    dhcp:
      description: The link's DHCP client (running, client, pid, address), as M(linuxnet.macvlan.macvlan_link) returns it.
      type: dict
      returned: when the entry sets O(config[].dhcp), or the link is deleted
gathered:
  description: The current links in the O(config) shape; given back with O(state=merged), nothing changes.
  returned: when O(state=gathered)
  type: list
  elements: dict
  sample: [{name: shim0, netns: null, parent: eth0, parent_netns: null, kind: macvlan, mode: bridge, mac_address: "02:4b:1c:9e:70:2a",
            mtu: 1500, up: true, flags: [], source_macs: [], bcqueuelen: 1000, bc_cutoff: 1, addresses: [192.168.1.250/32], routes: []}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import require_pyroute2
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import LINKS_ARGUMENT_SPEC, entries_from_params
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.gather import gather_links
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.report import many_links_result
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.run import run_links


def main() -> None:
    module = AnsibleModule(argument_spec=LINKS_ARGUMENT_SPEC, supports_check_mode=True)
    require_pyroute2(module)
    params, state = module.params, module.params["state"]
    try:
        entries = entries_from_params(params["config"], state, params["netns"], params["parent_netns"])
        if state == "gathered":
            module.exit_json(changed=False, gathered=gather_links(entries))
        run = run_links(module.get_bin_path, entries, module.check_mode, overridden=state == "overridden")
    except MacvlanError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**many_links_result(run, module._diff))


if __name__ == "__main__":
    main()
