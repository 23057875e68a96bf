# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Placing a macvlan in one namespace on a parent that lives in another (macvlan_netns).

The reconcile run itself is the shared one (_link_reconcile); this file supplies what
differs across namespaces: the parent's facts as the target namespace sees them, the
ownership check, and a creator that makes the link directly inside the target through
its namespace fd (as the CNI macvlan plugin does), so no temporary name is ever visible
on the parent's side and there is no move that would drop addresses.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._link_reconcile import Outcome, _check_mac_free, parent_facts, reconcile_link, with_parent
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import MACVLAN_KINDS, Netlink, NetlinkError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netns import describe_netns, netns_exists, netns_path
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner import Plan, plan_link_changes
from ansible_collections.linuxnet.macvlan.plugins.module_utils._validation import normalize_cidr

# The target has no id for the parent's namespace, so no link in it can sit on that parent:
# a value no kernel id takes makes every existing link compare as "another parent".
NO_PEER_ID = -1


def netns_file(netns: str | None) -> str:
    return "/proc/self/ns/net" if netns is None else netns_path(netns)


def is_named(netns: str | None) -> bool:
    return netns is not None and not netns.startswith("/")


def same_netns(first: str | None, second: str | None) -> bool:
    a, b = os.stat(netns_file(first)), os.stat(netns_file(second))
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def mac_identity(netns: str | None, addresses: list[str] | None) -> str | None:
    """The namespace part of a stable MAC (None: no stable identity, use a random MAC).

    A named namespace is identified by its name. A pid or a path has no identity that
    survives the container, so the first configured address stands in for it; a CIDR
    always contains '/', which a namespace name never does, so the two cannot collide."""
    if is_named(netns):
        return netns
    if addresses:
        return normalize_cidr(addresses[0])
    return None


@contextmanager
def open_netns_fd(netns: str | None) -> Iterator[int]:
    path = netns_file(netns)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise MacvlanError(f"cannot open {describe_netns(netns)}: {exc.strerror or exc}") from exc
    try:
        yield fd
    finally:
        os.close(fd)


def _describe_lower(state: dict, facts: dict, pnl: Netlink, tnl: Netlink) -> str:
    index, nsid = state.get("parent_ifindex"), state.get("parent_netnsid")
    if nsid is None:
        return f"{tnl.link_name(index) or f'ifindex {index}'} in {tnl.where}"
    if nsid == facts["parent_netnsid"]:
        return f"{pnl.link_name(index) or f'ifindex {index}'} in {pnl.where}"
    return f"ifindex {index} in another namespace (peer id {nsid})"


def check_ownership(observed: dict | None, desired: dict, facts: dict, pnl: Netlink, tnl: Netlink) -> None:
    """A macvlan of this name on another lower device is someone else's: refuse to touch it
    unless the user allows replacing it. (Non-macvlans are refused by the planner.)"""
    if observed is None or observed.get("kind") not in MACVLAN_KINDS or desired["state"] != "present":
        return
    if (observed.get("parent_ifindex"), observed.get("parent_netnsid")) == (facts["parent_ifindex"], facts["parent_netnsid"]):
        return
    if desired.get("recreate", "never") != "never":
        return
    raise MacvlanError(
        f"link {desired['name']} in {tnl.where} is a {observed['kind']} on {_describe_lower(observed, facts, pnl, tnl)}, "
        f"not on parent {facts['parent']} in {pnl.where}; refusing to change it. "
        "Set recreate: options-changed to replace it with a link on that parent"
    )


def cross_namespace_creator(pnl: Netlink, tnl: Netlink, target_fd: int, facts: dict) -> Callable[[dict], int]:
    """Create the link from the parent's side straight into the target (IFLA_NET_NS_FD);
    returns its ifindex in the target namespace."""

    def create(spec: dict) -> int:
        if spec["parent_ifindex"] != facts["parent_ifindex"]:
            # Only when restoring a replaced link that sat on another lower device.
            raise NetlinkError(errno.ENODEV, f"its old lower device (ifindex {spec['parent_ifindex']}) is not in {pnl.where}")
        pnl.create_macvlan(dict(spec, target_netns_fd=target_fd))
        created = tnl.raw_link(name=spec["name"])
        if created is None:
            raise NetlinkError(errno.ENODEV, f"{spec['name']} did not appear in {tnl.where}")
        return created["index"]

    return create


def name_remote_parent(state: dict | None, pnl: Netlink, parent_netnsid: int | None) -> None:
    """The returned link names its lower device when it lives in parent_netns."""
    if not state or state.get("parent") is not None or state.get("parent_netnsid") is None:
        return
    if state["parent_netnsid"] == parent_netnsid and state.get("parent_ifindex"):
        state["parent"] = pnl.link_name(state["parent_ifindex"])


def _predict_in_new_netns(desired: dict, facts: dict | None, where: str) -> Outcome:
    """Check mode for a namespace create_netns would create: the link would be new."""
    full = with_parent(desired, facts)
    plan = plan_link_changes(full, None, where)
    if facts:
        _check_mac_free(plan, full, facts, where)
    return Outcome(plan, None, plan.after)


def place_link(
    desired: dict,
    target: str,
    parent: str | None,
    parent_netns: str | None,
    create_netns: bool,
    check_mode: bool,
) -> Outcome:
    """One reconcile run of link desired['name'] in `target` on `parent` in `parent_netns`."""
    where = describe_netns(target)
    present = desired["state"] == "present"
    if not netns_exists(target):
        if not present:
            return Outcome(Plan(), None, None)
        if not create_netns:
            hint = "; set create_netns: true to create it" if is_named(target) else ""
            raise MacvlanError(f"netns: {where} does not exist{hint}")
    if parent_netns is not None and not netns_exists(parent_netns):
        raise MacvlanError(f"parent_netns: {describe_netns(parent_netns)} does not exist")

    with Netlink(parent_netns) as pnl:
        facts = parent_facts(pnl, parent) if parent and present else None
        created_netns = False
        if not netns_exists(target):
            if check_mode:
                return _predict_in_new_netns(desired, facts, where)
            Netlink.create_named_netns(target)
            created_netns = True
        try:
            return _reconcile_in_target(desired, target, parent_netns, facts, pnl, check_mode)
        except Exception:
            if created_netns:
                Netlink.remove_named_netns(target)
            raise


def _reconcile_in_target(
    desired: dict, target: str, parent_netns: str | None, facts: dict | None, pnl: Netlink, check_mode: bool
) -> Outcome:
    with Netlink(target) as tnl, open_netns_fd(target) as target_fd:
        shared = same_netns(target, parent_netns)
        if facts:
            nsid = None if shared else tnl.peer_nsid(parent_netns)
            facts["parent_netnsid"] = NO_PEER_ID if nsid is None and not shared else nsid
            check_ownership(tnl.read_link(name=desired["name"], with_ip=False), desired, facts, pnl, tnl)
        creator = cross_namespace_creator(pnl, tnl, target_fd, facts) if facts else None
        outcome = reconcile_link(tnl, desired, facts, check_mode, create=creator)
        # A link that crossed namespaces in this run has only now given the target an id for parent_netns.
        nsid = None if shared else tnl.peer_nsid(parent_netns)
        for state in (outcome.observed, outcome.end_state):
            name_remote_parent(state, pnl, nsid)
        return outcome
