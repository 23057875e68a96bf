# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure planner shared by macvlan_link and macvlan_netns.

plan_link_changes(desired, observed) compares what the user asked for with the kernel's
normalised state and returns the ordered actions, the predicted end state and the reasons
a re-creation is needed. No I/O: every decision is unit-tested without a kernel.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._validation import route_key

MACVLAN_KINDS = ("macvlan", "macvtap")
DEFAULT_MODE = "bridge"  # the kernel's own default is vepa; see the `mode` option docs
# Attributes carried in IFLA_INFO_DATA and changeable on a live link.
INFO_DATA_ATTRS = ("mode", "flags", "bcqueuelen", "bc_cutoff")
FLAG_NEEDS_MODE = {"nopromisc": "passthru", "nodst": "source"}


@dataclass
class Plan:
    actions: list[tuple[str, dict]] = field(default_factory=list)
    after: dict | None = None
    recreate_reasons: list[str] = field(default_factory=list)
    recreated: bool = False
    created: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.actions)


def _effective_mode(desired: dict, observed: dict | None) -> str:
    if desired.get("mode"):
        return desired["mode"]
    if observed and observed.get("mode"):
        return observed["mode"]
    return DEFAULT_MODE


def check_mode_consistency(desired: dict, observed: dict | None, where: str) -> None:
    """Flags and source MACs only mean something in one mode each."""
    mode = _effective_mode(desired, observed)
    name = desired["name"]
    for flag in desired.get("flags") or []:
        needed = FLAG_NEEDS_MODE[flag]
        if mode != needed:
            raise MacvlanError(f"flags: {flag!r} needs mode {needed}, but link {name} in {where} would be in mode {mode}")
    if desired.get("source_macs") and mode != "source":
        raise MacvlanError(f"source_macs: only a mode source link accepts a sender list; link {name} in {where} would be in mode {mode}")


def _parent_differs(desired: dict, observed: dict) -> bool:
    if desired.get("parent_ifindex") is None:
        return False
    return (desired["parent_ifindex"], desired.get("parent_netnsid")) != (
        observed.get("parent_ifindex"),
        observed.get("parent_netnsid"),
    )


def recreate_reasons(desired: dict, observed: dict) -> list[str]:
    """What cannot change on a live link, as 'attribute: current -> wanted'."""
    reasons = []
    if desired.get("kind") and desired["kind"] != observed["kind"]:
        reasons.append(f"kind: {observed['kind']} -> {desired['kind']}")
    if _parent_differs(desired, observed):
        reasons.append(f"parent: {observed.get('parent') or observed.get('parent_ifindex')} -> {desired.get('parent')}")
    mode = desired.get("mode")
    if mode and mode != observed.get("mode") and "passthru" in (mode, observed.get("mode")):
        reasons.append(f"mode: {observed.get('mode')} -> {mode} (passthru cannot be entered or left on a live link)")
    return reasons


def _create_spec(desired: dict, keep: dict | None) -> dict:
    """Everything a fresh link needs; `keep` (the link being replaced) fills what the user left open."""
    keep = keep or {}

    def pick(attr):
        return desired[attr] if desired.get(attr) is not None else keep.get(attr)

    mode = desired.get("mode") or keep.get("mode") or DEFAULT_MODE
    return {
        "name": desired["name"],
        "kind": desired.get("kind") or keep.get("kind") or "macvlan",
        "parent": desired.get("parent") or keep.get("parent"),
        "parent_ifindex": desired.get("parent_ifindex") if desired.get("parent_ifindex") is not None else keep.get("parent_ifindex"),
        "mode": mode,
        "flags": pick("flags"),
        # A replaced link keeps its MAC unless another is asked for (same DHCP lease).
        "mac_address": desired.get("mac_address") or keep.get("mac_address") or desired.get("generated_mac"),
        "mtu": pick("mtu"),
        "bcqueuelen": pick("bcqueuelen"),
        "bc_cutoff": pick("bc_cutoff"),
        "source_macs": pick("source_macs") if mode == "source" else None,
        "addresses": pick("addresses") or [],
        "routes": pick("routes") or [],
        "up": desired.get("up", True) if desired.get("up") is not None else keep.get("up", True),
    }


def creation_spec_of(state: dict) -> dict:
    """The spec that re-creates an observed link as it is (used to undo a failed re-creation)."""
    return _create_spec({"name": state["name"]}, state)


def _predicted_new_link(spec: dict, desired: dict) -> dict:
    return {
        "name": spec["name"],
        "ifindex": None,  # known only once the kernel has created it
        "kind": spec["kind"],
        "parent": spec["parent"],
        "parent_ifindex": spec["parent_ifindex"],
        "parent_netnsid": desired.get("parent_netnsid"),
        "mode": spec["mode"],
        "mac_address": spec["mac_address"],
        "mtu": spec["mtu"] if spec["mtu"] is not None else desired.get("parent_mtu"),
        "up": spec["up"],
        "flags": sorted(spec["flags"] or []),
        "source_macs": sorted(spec["source_macs"] or []),
        "bcqueuelen": spec["bcqueuelen"],
        "bc_cutoff": spec["bc_cutoff"],
        "addresses": list(spec["addresses"]),
        "routes": [dict(r) for r in spec["routes"]],
        "promisc": False,
    }


def creation_actions(spec: dict) -> list[tuple[str, dict]]:
    actions = [("create", spec)]
    if spec["source_macs"]:
        actions.append(("set_source_macs", {"macs": spec["source_macs"]}))
    for cidr in spec["addresses"]:
        actions.append(("add_address", {"cidr": cidr}))
    if spec["up"]:
        actions.append(("set_link", {"up": True}))
    # Routes last: a gateway must be reachable through an up link with its addresses.
    for route in spec["routes"]:
        actions.append(("add_route", {"route": route}))
    return actions


def plan_link_changes(desired: dict, observed: dict | None, where: str) -> Plan:
    """desired: normalised options (None = don't care) plus the resolved parent
    (parent, parent_ifindex, parent_netnsid, parent_mtu) and generated_mac for creation.
    observed: the backend's normalised state of the link, or None when it does not exist."""
    name = desired["name"]
    plan = Plan()

    if observed is not None and observed.get("kind") not in MACVLAN_KINDS:
        kind = observed.get("kind") or "device without a link kind"
        raise MacvlanError(
            f"link {name} in {where} is a {kind}, not a macvlan or macvtap; refusing to change or delete it"
        )

    if desired.get("state", "present") == "absent":
        if observed is not None:
            plan.actions.append(("delete", {"ifindex": observed["ifindex"]}))
        plan.after = None
        return plan

    check_mode_consistency(desired, observed, where)

    if observed is None:
        if desired.get("parent_ifindex") is None:
            raise MacvlanError(f"parent: link {name} does not exist in {where}, and creating it needs a parent")
        spec = _create_spec(desired, None)
        plan.actions = creation_actions(spec)
        plan.after = _predicted_new_link(spec, desired)
        plan.created = True
        return plan

    reasons = recreate_reasons(desired, observed)
    if desired.get("recreate") == "always":
        reasons.append("recreate: always")
    if reasons:
        if desired.get("recreate", "never") == "never":
            raise MacvlanError(
                f"link {name} in {where} cannot be changed in place: {'; '.join(reasons)}. "
                "Set recreate: options-changed to delete and re-create it (its MAC, addresses and routes are kept)"
            )
        spec = _create_spec(desired, observed)
        plan.actions = [("delete", {"ifindex": observed["ifindex"]})] + creation_actions(spec)
        plan.after = _predicted_new_link(spec, desired)
        plan.recreate_reasons = reasons
        plan.recreated = True
        plan.created = True
        return plan

    return _plan_in_place(desired, observed)


def _plan_in_place(desired: dict, observed: dict) -> Plan:
    plan = Plan()
    after = copy.deepcopy(observed)
    ifindex = observed["ifindex"]

    info_changes = {}
    for attr in INFO_DATA_ATTRS:
        wanted = desired.get(attr)
        if wanted is None:
            continue
        current = observed.get(attr)
        if attr == "flags":
            wanted, current = sorted(wanted), sorted(current or [])
        if wanted != current:
            info_changes[attr] = wanted
            after[attr] = wanted
    if info_changes:
        plan.actions.append(("set_info_data", {"ifindex": ifindex, "kind": observed["kind"], "changes": info_changes}))

    macs = desired.get("source_macs")
    if macs is not None and sorted(macs) != sorted(observed.get("source_macs") or []):
        plan.actions.append(("set_source_macs", {"macs": sorted(macs)}))
        after["source_macs"] = sorted(macs)

    link_changes = {}
    for attr in ("mac_address", "mtu"):
        if desired.get(attr) is not None and desired[attr] != observed.get(attr):
            link_changes[attr] = desired[attr]
    if link_changes:
        plan.actions.append(("set_link", link_changes))
        after.update(link_changes)

    addresses = desired.get("addresses")
    if addresses is not None:
        current = set(observed.get("addresses") or [])
        for cidr in sorted(current - set(addresses)):
            plan.actions.append(("del_address", {"cidr": cidr}))
        for cidr in addresses:
            if cidr not in current:
                plan.actions.append(("add_address", {"cidr": cidr}))
        after["addresses"] = list(addresses)

    if desired.get("up") is not None and desired["up"] != observed.get("up"):
        plan.actions.append(("set_link", {"up": desired["up"]}))
        after["up"] = desired["up"]

    routes = desired.get("routes")
    if routes is not None:
        current = {route_key(r): r for r in observed.get("routes") or []}
        wanted = {route_key(r): r for r in routes}
        for key in sorted(set(current) - set(wanted)):
            plan.actions.append(("del_route", {"route": current[key]}))
        for key in sorted(set(wanted) - set(current)):
            plan.actions.append(("add_route", {"route": wanted[key]}))
        after["routes"] = [wanted[k] for k in sorted(wanted)]

    plan.after = after
    return plan
