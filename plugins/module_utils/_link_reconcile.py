# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One reconcile run for one link: observe, plan, apply unless check mode, read back.

Shared by macvlan_link (parent in the same namespace) and macvlan_netns (parent
elsewhere; it passes its own parent facts and a creator that moves the link)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._link_apply import LinkApplier
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import ATTRIBUTE_KERNELS, Netlink, NetlinkError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner import Plan, plan_link_changes
from ansible_collections.linuxnet.macvlan.plugins.module_utils._stable_mac import read_machine_id, stable_mac
from ansible_collections.linuxnet.macvlan.plugins.module_utils._validation import route_key


@dataclass
class Outcome:
    plan: Plan
    observed: dict | None
    end_state: dict | None


def parent_facts(nl: Netlink, parent: str, parent_netnsid: int | None = None) -> dict:
    """The resolved lower device of `parent` in nl's namespace and the MACs already on it.

    parent_netnsid: the id under which the link's namespace knows nl's namespace, when
    the link lives elsewhere (macvlan_netns); None when both share one namespace."""
    lower = nl.resolve_parent(parent)

    def mac_owner(mac: str) -> str | None:
        # Listing the siblings is a link dump (of macvlans and macvtaps only, where the kernel
        # filters by kind): done only when a MAC is about to be set.
        if mac == lower["mac_address"]:
            return f"parent {lower['name']}"
        for sibling in nl.macvlans_on(lower["ifindex"]):
            if sibling["mac_address"] == mac:
                return f"{sibling['kind']} {sibling['name']}"
        return None

    return {
        "parent": lower["name"],
        "parent_ifindex": lower["ifindex"],
        "parent_netnsid": parent_netnsid,
        "parent_mtu": lower["mtu"],
        "parent_where": nl.where,
        "mac_owner": mac_owner,
    }


def with_parent(desired: dict, facts: dict | None) -> dict:
    """desired plus the resolved parent the planner compares against."""
    return dict(desired, **{k: v for k, v in (facts or {}).items() if k not in ("mac_owner", "parent_where")})


def generated_mac(desired: dict, policy: str, seed: str | None, netns_identity: str) -> str | None:
    """The MAC a new link gets when the user gave none (None: the kernel picks at random).

    passthru links take the parent's MAC, so nothing is generated for them."""
    if desired.get("mac_address") or policy != "stable" or desired.get("mode") == "passthru":
        return None
    return stable_mac(seed if seed is not None else read_machine_id(), netns_identity, desired["name"])


def _check_mac_free(plan: Plan, desired: dict, facts: dict, where: str) -> None:
    """Refuse before touching the kernel when the MAC we would set is already on the parent."""
    mac = None
    for op, args in plan.actions:
        if op == "create":
            mac = args.get("mac_address")
        elif op == "set_link" and "mac_address" in args:
            mac = args["mac_address"]
    if not mac or desired.get("mode") == "passthru":
        return
    owner = facts["mac_owner"](mac) if "mac_owner" in facts else None
    # A same-named sibling is this very link only when it lives next to the parent.
    is_this_link = owner == f"macvlan {desired['name']}" and facts.get("parent_where") == where
    if owner and not is_this_link:
        raise MacvlanError(
            f"mac_address {mac}: already used by {owner} on parent {facts['parent']} in {facts.get('parent_where', where)} "
            f"(wanted for link {desired['name']} in {where}); macvlans on one parent need distinct MACs"
        )


def _verify_read_back(desired: dict, state: dict, where: str) -> None:
    """Older kernels accept some attributes and silently ignore them: compare what we wrote."""
    for attr in ("bcqueuelen", "bc_cutoff"):
        wanted = desired.get(attr)
        if wanted is not None and state.get(attr) != wanted:
            raise MacvlanError(
                f"{attr}={wanted}: the running kernel ({os.uname().release}) ignored it on link {desired['name']} in "
                f"{where} (read back {state.get(attr)!r}); it needs Linux {ATTRIBUTE_KERNELS[attr]} or later"
            )


def _restore_flushed_routes(applier: LinkApplier, desired: dict, state: dict) -> dict:
    """The kernel drops routes whose gateway an address change took off-link; the plan
    counted them as present, so add back any wanted route that is gone."""
    present = {route_key(r) for r in state["routes"]}
    missing = [r for r in desired["routes"] if route_key(r) not in present]
    if not missing:
        return state
    applier.apply(Plan(actions=[("add_route", {"route": r}) for r in missing]))
    return applier.nl.read_link(index=state["ifindex"])


def _name_parent(state: dict | None, nl: Netlink, facts: dict | None) -> None:
    if not state:
        return
    # The index alone is not enough: a lower device in another namespace may share it.
    if facts and (state.get("parent_ifindex"), state.get("parent_netnsid")) == (facts["parent_ifindex"], facts.get("parent_netnsid")):
        state["parent"] = facts["parent"]  # already resolved: no second lookup
        return
    nl.fill_parent_names([state])


def reconcile_link(
    nl: Netlink,
    desired: dict,
    facts: dict | None,
    check_mode: bool,
    create: Callable[[dict], int] | None = None,
) -> Outcome:
    """desired: from desired_from_params plus generated_mac; facts: from parent_facts (or the
    netns module's equivalent), None when no parent was given."""
    where = nl.where
    observed = nl.read_link(name=desired["name"])
    _name_parent(observed, nl, facts)
    if facts:
        desired = with_parent(desired, facts)
    plan = plan_link_changes(desired, observed, where)
    if facts and plan.changed:
        _check_mac_free(plan, desired, facts, where)

    if check_mode or not plan.changed:
        return Outcome(plan, observed, plan.after if plan.changed else observed)

    applier = LinkApplier(nl, desired["name"], observed["kind"] if observed else desired["kind"],
                          observed["ifindex"] if observed else None, create)
    applier.apply(plan, replaced=observed if plan.recreated else None)
    end_state = nl.read_link(name=desired["name"]) if desired["state"] == "present" else None
    if end_state is not None and desired.get("routes") is not None and end_state["ifindex"]:
        end_state = _restore_flushed_routes(applier, desired, end_state)
    _name_parent(end_state, nl, facts)
    if end_state is not None:
        try:
            _verify_read_back(desired, end_state, where)
        except MacvlanError:
            if plan.created:
                try:
                    nl.delete_link(end_state["ifindex"])
                except NetlinkError:
                    pass
            raise
    return Outcome(plan, observed, end_state)
