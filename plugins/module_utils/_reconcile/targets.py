# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The single-link modules' options turned into the engine's one entry: macvlan_link's link next to its
parent, macvlan_netns' link in another namespace (a name, a path, a pid's or a container's), with the
target checked before anything touches the kernel and never created unless create_netns says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import (
    describe_netns,
    is_named,
    missing_netns_error,
    netns_exists,
    pid_netns,
    validate_netns,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._containers.engines import Container, container_where, find_container
from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.request import dhcp_request
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import LinkEntry
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_options import container_identity, container_mac_identity, desired_link


def link_entry(params: dict) -> LinkEntry:
    """macvlan_link: the link and its parent in `netns`; the stable MAC's namespace part is the
    namespace as named there ('' for the current one)."""
    netns = validate_netns(params["netns"])
    desired = desired_link(params, netns, mac_identity=netns or "")
    dhcp = dhcp_request(params, desired.state == "present", default_route=False)
    return LinkEntry(0, None, netns, desired.parent, netns, desired, dhcp)


@dataclass
class NetnsTarget:
    entry: LinkEntry | None  # None: an absent link in a namespace that does not exist (nothing to do)
    netns: str | None
    parent_netns: str | None
    container: Container | None = None
    create: tuple = ()  # the named namespace the run creates first (create_netns)


def _resolve(params: dict) -> str | None:
    """The target namespace as a name or a path; validated before touching the kernel."""
    for option in ("container", "pid"):
        if params[option] is not None and params["create_netns"]:
            raise MacvlanError(f"create_netns: only a named namespace can be created, not the namespace of {option}={params[option]}")
    if params["pid"] is not None:
        return pid_netns(params["pid"])
    netns = validate_netns(params["netns"])
    if params["create_netns"] and netns is not None and not is_named(netns):
        raise MacvlanError(f"create_netns: only a named namespace can be created, not namespace file {netns}")
    return netns


def netns_target(params: dict) -> NetnsTarget:
    """macvlan_netns: the link in its target, the parent in parent_netns (default: the current namespace)."""
    parent_netns = validate_netns(params["parent_netns"], option="parent_netns")
    target = _resolve(params)
    container = None
    if params["container"] is not None:
        container = find_container(params["container"], params["container_engine"])
        target = container.netns
        desired = desired_link(params, target, mac_identity=container_identity(container.name),
                               where=container_where(container), engine_owned=container.owned_macs())
    else:
        desired = desired_link(params, target, mac_identity=container_mac_identity(target, params["addresses"]))
    create = ()
    if not netns_exists(target):
        if desired.state != "present":
            return NetnsTarget(None, target, parent_netns, container)
        if not params["create_netns"]:
            hint = "; set create_netns: true to create it" if is_named(target) else ""
            raise MacvlanError(f"netns: {desired.where} does not exist{hint}")
        create = (target,)
    if parent_netns is not None and not netns_exists(parent_netns):
        raise missing_netns_error(parent_netns, "parent_netns")
    # A container's DHCP lease gives it its way out: the default route, unless told otherwise.
    dhcp = dhcp_request(params, desired.state == "present", default_route=True)
    if dhcp is not None and container is not None:
        dhcp = dataclasses.replace(dhcp, owner=container.dhcp_owner)
    return NetnsTarget(LinkEntry(0, None, target, desired.parent, parent_netns, desired, dhcp), target, parent_netns, container, create)


def random_mac_warning(target: NetnsTarget, params: dict, work: list) -> str | None:
    """A new link that got a random MAC although the policy is stable (its namespace has no identity)."""
    if not work or target.entry is None or params["mac_address_policy"] != "stable" or not target.entry.desired.mac_is_random:
        return None
    item = work[0]
    if not item.plan.created or item.plan.recreated or item.after is None or item.after.mode == "passthru":
        return None
    return (
        f"mac_address_policy=stable: {describe_netns(target.netns)} has no stable identity and no addresses were given, "
        f"so link {item.desired.name} got a random MAC; set mac_address or addresses for a stable one"
    )
