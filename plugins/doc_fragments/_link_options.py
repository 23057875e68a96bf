# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by macvlan_link and macvlan_netns; both use the same planner.
    DOCUMENTATION = r"""
options:
  state:
    description:
      - V(present) creates the link or reconciles it in place; V(absent) deletes it.
      - V(absent) deletes only a macvlan or macvtap link; a missing link is not a change.
    type: str
    choices: [present, absent]
    default: present
  kind:
    description:
      - Link type. A macvtap also gets a C(/dev/tapN) character device for a VM.
      - Changing the kind of an existing link requires O(recreate=options-changed).
    type: str
    choices: [macvlan, macvtap]
    default: macvlan
  mode:
    description:
      - How the link may talk to sibling links on the same parent.
      - V(bridge) siblings talk directly inside the host; V(vepa) sends everything to the switch, which
        must hairpin it back; V(private) siblings never talk; V(passthru) gives one link the whole parent;
        V(source) only accepts frames from O(source_macs).
      - The kernel itself defaults to V(vepa) when no mode is sent, which silently breaks
        container-to-container traffic on ordinary switches; this collection defaults to V(bridge).
      - On an existing link an omitted mode means "don't care". Changes into or out of
        V(passthru) require O(recreate=options-changed).
    type: str
    choices: [bridge, vepa, private, passthru, source]
  mac_address:
    description:
      - The link's MAC address, for example V(02:42:c0:a8:08:78). Multicast and all-zero addresses are refused.
      - When omitted on creation, O(mac_address_policy) decides; on an existing link omitted means "don't care".
    type: str
  mac_address_policy:
    description:
      - How to choose the MAC of a link created without O(mac_address).
      - V(stable) derives a locally administered unicast address from SHA-256 of
        C(linuxnet.macvlan\0<seed>\0<namespace>\0<name>) (first six bytes, bit 0x02 set, bit 0x01 cleared),
        where C(<seed>) is O(mac_address_seed) and C(<namespace>) the namespace name (empty for the namespace
        Ansible runs in). Re-creating the link gives the same MAC, and so the same DHCP lease.
      - V(random) lets the kernel pick a random address.
    type: str
    choices: [stable, random]
    default: stable
  mac_address_seed:
    description:
      - Seed for V(stable) MAC addresses. Defaults to the content of C(/etc/machine-id), which makes the
        address unique per machine.
    type: str
  mtu:
    description:
      - MTU of the link; it cannot exceed the parent's MTU. Omitted means "don't care".
    type: int
  up:
    description:
      - Whether the link is administratively up.
    type: bool
    default: true
  flags:
    description:
      - The exact set of macvlan flags. V(nopromisc) only with O(mode=passthru) (do not put the parent in
        promiscuous mode); V(nodst) only with O(mode=source) (do not also deliver to a destination-matched link).
      - Omitted means "don't care"; V([]) clears them.
    type: list
    elements: str
    choices: [nopromisc, nodst]
  source_macs:
    description:
      - The exact set of sender MACs a O(mode=source) link accepts frames from. Only with O(mode=source).
    type: list
    elements: str
  bcqueuelen:
    description:
      - Length of the broadcast/multicast delivery queue (Linux 5.11 and later). Written, then read back;
        a kernel that ignores it makes the task fail.
    type: int
  bc_cutoff:
    description:
      - Number of macvlans on the parent above which broadcast is no longer queued per link (Linux 6.5 and
        later). The kernel keeps one value per parent, shared by all its macvlans. Written, then read back.
    type: int
  addresses:
    description:
      - The exact set of permanent global-scope IPv4 and IPv6 addresses on the link, as CIDRs (V(192.0.2.10/24),
        V(2001:db8::10/64)). IPv6 link-local addresses belong to the kernel, and addresses with a lifetime (a DHCP
        lease, IPv6 autoconfiguration) to their protocol; both are left alone.
      - Omitted means "don't care"; V([]) removes all.
    type: list
    elements: str
  routes:
    description:
      - The exact set of routes (main table) whose output device is this link, other than those the kernel
        adds for its addresses. Omitted means "don't care"; V([]) removes all.
    type: list
    elements: dict
    suboptions:
      dst:
        description: Destination network as a CIDR, or V(default) (IPv4, or IPv6 when O(routes[].gateway) is IPv6).
        type: str
        required: true
      gateway:
        description: Next hop. Omitted for an on-link route.
        type: str
      metric:
        description: Route metric; omitted means the kernel default (0 for IPv4, 1024 for IPv6).
        type: int
  recreate:
    description:
      - What may be fixed by deleting and creating the link again. The parent, the kind and transitions into
        or out of V(passthru) cannot change on a live link.
      - V(never) fails with a message naming each such attribute. V(options-changed) deletes and re-creates
        the link when one of them differs, keeping its MAC unless another is asked for, and restoring up state,
        addresses and routes. V(always) re-creates an existing link on every run (never idempotent).
    type: str
    choices: [never, options-changed, always]
    default: never
  dhcp:
    description:
      - V(true) makes sure one DHCP client runs for the link in its namespace (IPv4), started when missing or when
        the link was re-created, left alone when it already runs for this link; the task waits up to O(dhcp_timeout)
        for the lease and returns it as RV(dhcp.address). A re-created link keeps its stable MAC, so it gets the
        same lease back.
      - V(false), or O(state=absent), stops the client and releases the lease. Omitted means "don't care".
      - The leased address has the lease as its lifetime, so O(addresses) never removes it; both can be given.
      - The client runs only an event script of this collection, which sets the address (and, with
        O(dhcp_default_route), the default route) on this link and touches no file, C(/etc/resolv.conf) included.
    type: bool
  dhcp_client:
    description:
      - The DHCP client to run. V(auto) takes the first one installed of V(udhcpc) (busybox, or a standalone
        C(udhcpc)) and V(dhclient) (isc-dhcp-client). None installed is an error naming what to install.
      - DHCPv6 is not supported yet.
    type: str
    choices: [auto, udhcpc, dhclient]
    default: auto
  dhcp_state_dir:
    description:
      - Where the clients' pid, lease, log and event-script files live, one set per namespace and link
        (C(ns<namespace inode>-<link>.*)). Root-only (mode 0700).
    type: path
    default: /run/linuxnet-macvlan/dhcp
  dhcp_timeout:
    description:
      - Seconds to wait for the lease of a client this task started. No lease by then fails the task; the client
        keeps trying and its log is named in the message.
    type: int
    default: 10
  dhcp_default_route:
    description:
      - Whether the lease's router becomes the namespace's default route through this link.
      - Omitted means V(true) for a link in another namespace than its parent (a container, M(linuxnet.macvlan.macvlan_netns))
        and V(false) for a link next to its parent (M(linuxnet.macvlan.macvlan_link)), whose host keeps its own default route.
    type: bool
  tap_dir:
    description:
      - Where a macvtap's device node is created when C(/dev/tap<ifindex>) is missing or is another device (ifindexes
        repeat across namespaces, and devtmpfs gives C(/dev/tapN) to the first macvtap that took the number only).
      - The node is C(TAP_DIR/NAMESPACE/LINK); NAMESPACE is the namespace's name, or C(netns-INODE) for the namespace
        Ansible runs in, a C(/proc/PID/ns/net) or a container's namespace. A node found is trusted only when its
        major:minor are the ones in the link's own sysfs entry.
      - A node created here is removed with the link (O(state=absent) with the same O(tap_dir)).
    type: path
    default: /dev/macvtap
    version_added: 0.1.0
  tap_owner:
    description:
      - Owner (name or uid) of the macvtap's device node, for example the user a VM runs as. Omitted means "don't care"
        (a node created here belongs to root).
      - Only for O(kind=macvtap); refused on a macvlan.
    type: str
    version_added: 0.1.0
  tap_group:
    description:
      - Group (name or gid) of the macvtap's device node; with O(tap_mode=0660) its members (the VM's user, C(kvm))
        can open it. Omitted means "don't care". Only for O(kind=macvtap).
    type: str
    version_added: 0.1.0
  tap_mode:
    description:
      - Permissions of the macvtap's device node, as an octal string such as V('0660') (quote it in YAML).
        Omitted means "don't care"; a node created here gets V('0600'). Only for O(kind=macvtap).
    type: raw
    version_added: 0.1.0
  numtxqueues:
    description:
      - Number of transmit queues, fixed when the link is created (1 to 4096; the kernel default is 1). A macvtap for
        a multiqueue guest gets one queue per vCPU; each C(open()) of its device node is one queue.
      - On an existing link a different value needs O(recreate=options-changed). Omitted means "don't care".
    type: int
    version_added: 0.1.0
  numrxqueues:
    description:
      - Number of receive queues, as O(numtxqueues).
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
"""
