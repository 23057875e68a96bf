# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The typed values passed between the layers (pure).

module options -> DesiredLink;  backend -> ObservedLink, ParentInfo;
planner(DesiredLink, ObservedLink, ParentInfo) -> Plan of Actions;  applier: Action -> backend call.
Routes stay plain {dst, gateway, metric} dicts: that is also their public shape.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DesiredLink:
    """What the user asked for, validated and normalised; None means "don't care"."""

    name: str
    netns: str | None  # the namespace as the user named it (None: the one Ansible runs in)
    where: str  # how messages name that namespace
    state: str = "present"
    kind: str = "macvlan"
    parent: str | None = None
    mode: str | None = None
    mac_address: str | None = None  # given by the user: enforced on an existing link too
    new_mac: str | None = None  # what a created link gets: mac_address, else the stable MAC; None: random
    mtu: int | None = None
    up: bool | None = None
    flags: list[str] | None = None
    source_macs: list[str] | None = None
    bcqueuelen: int | None = None
    bc_cutoff: int | None = None
    addresses: list[str] | None = None
    routes: list[dict] | None = None
    recreate: str = "never"
    # True: an unset option means its default, not "don't care" (macvlan_links state=replaced).
    exact: bool = False
    # (MAC, owner) of interfaces a container engine created for its own networks: never changed or deleted.
    engine_owned: tuple[tuple[str, str], ...] = ()
    numtxqueues: int | None = None  # fixed at creation: a different count needs a re-creation
    numrxqueues: int | None = None
    ipv6: bool | None = None  # False: disable_ipv6 and addr_gen_mode none (a guest's NIC)
    tap: TapWanted | None = None  # a macvtap's character device node (None: a macvlan)

    @property
    def mac_is_random(self) -> bool:
        return self.new_mac is None


@dataclass(frozen=True)
class TapWanted:
    """Where a macvtap's device node goes when /dev/tap<ifindex> is not this device, and how it is owned."""

    directory: str
    owner: int | None = None  # resolved ids; None: don't care
    group: int | None = None
    mode: int | None = None  # permission bits, e.g. 0o660


@dataclass
class ObservedLink:
    """One link as the kernel reports it (or as the planner predicts it: ifindex None)."""

    name: str
    ifindex: int | None
    kind: str | None
    parent_ifindex: int | None = None
    # The id under which the link's namespace knows its lower device's namespace; None: same namespace.
    parent_netnsid: int | None = None
    parent: str | None = None  # the lower device's name, where it can be seen
    mac_address: str | None = None
    mtu: int | None = None
    up: bool = False
    promisc: bool = False
    allmulticast: bool = False
    promiscuity: int | None = None
    mode: str | None = None
    flags: list[str] = field(default_factory=list)
    source_macs: list[str] = field(default_factory=list)
    bcqueuelen: int | None = None
    bc_cutoff: int | None = None
    addresses: list[str] | None = None  # permanent ones (set by someone); None: not read
    routes: list[dict] | None = None
    # Addresses with a lifetime: a DHCP lease, IPv6 autoconfiguration. Reported, never managed.
    dynamic_addresses: list[str] = field(default_factory=list)
    numtxqueues: int | None = None
    numrxqueues: int | None = None
    ipv6: bool | None = None  # None: not read (or not predicted)
    tap: dict | None = None  # a macvtap's device node: path, major, minor, owner, group, mode, created

    def copy(self) -> ObservedLink:
        """A copy whose lists can change without touching the original. Field by field, without
        dataclasses.replace's __init__ round trip: a many-links run copies every link it reads."""
        new = object.__new__(ObservedLink)
        new.__dict__.update(self.__dict__)
        new.flags, new.source_macs, new.dynamic_addresses = list(self.flags), list(self.source_macs), list(self.dynamic_addresses)
        if self.addresses is not None:
            new.addresses = list(self.addresses)
        if self.routes is not None:
            new.routes = [dict(route) for route in self.routes]
        return new


@dataclass(frozen=True)
class Sibling:
    """Another macvlan or macvtap on the same lower device, in the parent's namespace."""

    ifindex: int
    name: str
    kind: str
    mac_address: str | None


@dataclass(frozen=True)
class ParentInfo:
    """The resolved lower device a link attaches to (a macvlan given as parent resolves to its own lower)."""

    name: str
    ifindex: int
    mtu: int | None
    mac_address: str | None
    where: str  # the parent's namespace, as messages name it
    # The id under which the link's namespace knows the parent's; None when both are one namespace.
    netnsid: int | None = None
    # Filled whenever the plan may set a MAC (a new link, an explicit mac_address, a re-creation).
    siblings: tuple[Sibling, ...] = ()


@dataclass(frozen=True)
class LinkSpec:
    """Everything a new link is created with."""

    name: str
    kind: str
    parent: str | None
    parent_ifindex: int
    mode: str
    mac_address: str | None
    mtu: int | None
    flags: list[str] | None
    bcqueuelen: int | None
    bc_cutoff: int | None
    source_macs: list[str]
    addresses: list[str]
    routes: list[dict]
    up: bool
    numtxqueues: int | None = None
    numrxqueues: int | None = None


class Op(enum.Enum):
    CREATE = "create"  # arg: LinkSpec
    DELETE = "delete"  # arg: ifindex of the link being replaced
    SET_INFO_DATA = "set_info_data"  # arg: {mode, flags, bcqueuelen, bc_cutoff} to change
    SET_SOURCE_MACS = "set_source_macs"  # arg: list of MACs
    SET_LINK = "set_link"  # arg: {mac_address, mtu, up} to change
    ADD_ADDRESS = "add_address"  # arg: CIDR
    DEL_ADDRESS = "del_address"  # arg: CIDR
    ADD_ROUTE = "add_route"  # arg: route
    DEL_ROUTE = "del_route"  # arg: route
    RESTORE_ROUTE = "restore_route"  # arg: route; put back one the kernel flushed with an address


@dataclass(frozen=True)
class Action:
    op: Op
    arg: Any = None
    # What puts the link back if a later step fails (the planner knows the state before).
    undo: tuple[Action, ...] = ()


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    after: ObservedLink | None = None  # the predicted end state
    recreate_reasons: list[str] = field(default_factory=list)
    created: bool = False
    recreated: bool = False
    # Attributes some kernels accept and silently ignore: read back after applying.
    verify: dict[str, Any] = field(default_factory=dict)
    # Why a replaced link could not be put back if its re-creation failed (None: it can).
    restore_impossible: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.actions)
