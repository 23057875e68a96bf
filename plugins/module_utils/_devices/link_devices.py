# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A link's devices, after the link exists and before it goes: a macvtap's device node and the
IPv6 switches of O(ipv6). The one step the link modules call; the planning is _planner.tap_plan's.

ensure_link_devices runs after the link converged (as DHCP does), remove_link_devices before a link
is deleted. Both take check_mode and change nothing then.
"""

from __future__ import annotations

import dataclasses
import os

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import netns_exists
from ansible_collections.linuxnet.macvlan.plugins.module_utils._devices.in_netns import run_in_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._devices.ipv6_sysctl import read_ipv6_sysctls, write_ipv6_sysctls
from ansible_collections.linuxnet.macvlan.plugins.module_utils._devices.tap_nodes import (
    apply_node_actions,
    device_numbers,
    find_node,
    managed_node_path,
    remove_managed_node,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.tap_plan import (
    DevicePlan,
    ipv6_enabled,
    node_result,
    plan_ipv6,
    plan_tap_node,
)


def _observe(name: str, with_tap: bool) -> dict:
    """Inside the link's namespace: its device numbers and its IPv6 sysctls, in one visit."""
    return {"dev": device_numbers(name) if with_tap else None, "sysctls": read_ipv6_sysctls(name)}


def _copy(link: ObservedLink | None) -> ObservedLink | None:
    return dataclasses.replace(link) if link is not None else None


def ensure_link_devices(desired: DesiredLink, outcome, check_mode: bool):
    """After the link converged: its node and IPv6 switches. Returns (outcome, changed): the outcome
    (any value with `before` and `after` ObservedLinks) with `tap` and `ipv6` filled in on both."""
    after = outcome.after
    with_tap = desired.tap is not None and after is not None and after.kind == "macvtap"
    if desired.state != "present" or after is None or not (with_tap or desired.ipv6 is not None):
        return outcome, False
    before, after = _copy(outcome.before), _copy(after)
    plan = DevicePlan()
    if after.ifindex is None:  # check mode, a link still to be created: nothing to look at yet
        if with_tap:
            plan_tap_node(desired.tap, None, None, "", plan)
        after.tap, after.ipv6 = plan.tap, desired.ipv6
        return dataclasses.replace(outcome, before=before, after=after), False

    seen = run_in_netns(desired.netns, _observe, after.name, with_tap)
    same_link = before is not None and before.ifindex == after.ifindex
    managed = None
    if with_tap:
        if seen["dev"] is None:
            raise MacvlanError(f"tap: macvtap {after.name} in {desired.where} has no character device in its sysfs entry")
        numbers = tuple(seen["dev"])
        managed = managed_node_path(desired.tap.directory, desired.netns, after.name)
        found = find_node(after.ifindex, numbers, managed)
        plan_tap_node(desired.tap, numbers, found, managed, plan, stale=os.path.lexists(managed) and not (found and found["created"]))
        if same_link:
            before.tap = node_result(found["path"], numbers, found["uid"], found["gid"], found["mode"], found["created"]) if found else None
    plan_ipv6(desired.ipv6, seen["sysctls"], after.name, desired.where, plan)
    if same_link:
        before.ipv6 = ipv6_enabled(seen["sysctls"])

    if plan.changed and not check_mode:
        apply_node_actions(plan.node_actions)
        if plan.sysctl_writes:
            read = run_in_netns(desired.netns, write_ipv6_sysctls, after.name, plan.sysctl_writes)
            if ipv6_enabled(read) != plan.ipv6:
                raise MacvlanError(f"ipv6: link {after.name} in {desired.where} still reads {read} after writing {plan.sysctl_writes}")
        if with_tap:
            node = find_node(after.ifindex, numbers, managed)
            if node is None or node_result(node["path"], numbers, node["uid"], node["gid"], node["mode"], node["created"]) != plan.tap:
                raise MacvlanError(f"tap: the device node of {after.name} in {desired.where} reads back as {node}, not {plan.tap}")
    after.tap, after.ipv6 = plan.tap, plan.ipv6
    return dataclasses.replace(outcome, before=before, after=after), plan.changed


def remove_link_devices(desired: DesiredLink, check_mode: bool) -> bool:
    """Before a link goes: the node this module created for it under tap_dir (True if there was one)."""
    if desired.state != "absent" or desired.tap is None or not netns_exists(desired.netns):
        return False
    return remove_managed_node(managed_node_path(desired.tap.directory, desired.netns, desired.name), check_mode)


def ensure_links_devices(work: list, check_mode: bool) -> list[bool]:
    """ensure_link_devices for every item of a many-links run (items with desired, plan, before, after;
    replaced in the list with their devices filled in); per item, whether its devices changed."""
    changed = []
    for index, item in enumerate(work):
        if item.desired.state == "present" and item.after is None:  # check mode: the predicted end state
            item = dataclasses.replace(item, after=item.plan.after)
        work[index], item_changed = ensure_link_devices(item.desired, item, check_mode)
        changed.append(item_changed)
    return changed


def observe_link_devices(netns: str | None, state: dict, tap_dir: str) -> dict:
    """For macvlan_info, changing nothing: a macvtap's node (V(null) path when none is this device) and
    its IPv6 switch; {} for a macvlan (nothing read: one namespace visit per macvtap only)."""
    if state.get("kind") != "macvtap":
        return {}
    try:
        seen = run_in_netns(netns, _observe, state["name"], True)
    except MacvlanError:  # the namespace or the link went away while being listed
        return {"ipv6": None, "tap": None}
    result = {"ipv6": ipv6_enabled(seen["sysctls"]), "tap": None}
    if seen["dev"] is not None:
        numbers = tuple(seen["dev"])
        node = find_node(state["ifindex"], numbers, managed_node_path(tap_dir, netns, state["name"]))
        result["tap"] = node_result(node["path"], numbers, node["uid"], node["gid"], node["mode"], node["created"]) if node else node_result(
            None, numbers, None, None, None, False
        )
    return result
