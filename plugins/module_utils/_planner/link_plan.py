# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure planner shared by every link module: every decision about one link lives here.

plan_link_changes(desired, observed, parent) compares what the user asked for with the
kernel's state and returns the ordered actions (each with its undo), the predicted end
state, the reasons a re-creation is needed, and what to read back. It refuses what cannot
work before anything touches the kernel: a non-macvlan, a change that needs a re-creation
the user did not allow, a flag in the wrong mode, an MTU above the parent's, a MAC that
another link on the parent already uses. No I/O: unit-tested without a kernel.
"""

from __future__ import annotations

import dataclasses

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import (
    DEFAULT_MODE,
    ETHERNET_MTU_MAX,
    ETHERNET_MTU_MIN,
    FLAG_NEEDS_MODE,
    MACVLAN_KINDS,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import (
    Action,
    DesiredLink,
    LinkSpec,
    ObservedLink,
    Op,
    ParentInfo,
    Plan,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.validation import route_key

# Attributes carried in IFLA_INFO_DATA and changeable on a live link.
INFO_DATA_ATTRS = ("mode", "flags", "bcqueuelen", "bc_cutoff")
# Attributes older kernels accept and silently ignore: read back after writing.
READ_BACK_ATTRS = ("bcqueuelen", "bc_cutoff")


def plan_link_changes(desired: DesiredLink, observed: ObservedLink | None, parent: ParentInfo | None) -> Plan:
    """parent: the resolved lower device, or None when the user gave no parent (or for absent)."""
    if observed is not None and observed.kind not in MACVLAN_KINDS:
        kind = observed.kind or "device without a link kind"
        raise MacvlanError(
            f"link {desired.name} in {desired.where} is a {kind}, not a macvlan or macvtap; refusing to change or delete it"
        )
    _check_not_engine_owned(desired, observed)
    if desired.state == "absent":
        return Plan(actions=[Action(Op.DELETE, observed.ifindex)] if observed is not None else [])

    if desired.exact:
        desired = with_defaults(desired, parent)
    _check_mode_consistency(desired, observed)
    _check_mtu(desired, parent)
    if observed is None:
        plan = _plan_creation(desired, parent)
    else:
        reasons = recreate_reasons(desired, observed, parent)
        if desired.recreate == "always":
            reasons.append("recreate: always")
        if reasons and desired.recreate == "never":
            raise MacvlanError(
                f"link {desired.name} in {desired.where} cannot be changed in place: {'; '.join(reasons)}. "
                "Set recreate: options-changed to delete and re-create it (its MAC, addresses and routes are kept)"
            )
        plan = _plan_recreation(desired, observed, parent, reasons) if reasons else _plan_in_place(desired, observed)
    _check_mac_free(plan, desired, observed, parent)
    return plan


def _check_not_engine_owned(desired: DesiredLink, observed: ObservedLink | None) -> None:
    """A container engine's own endpoint (its macvlan network's interface) belongs to the engine."""
    if observed is None or not observed.mac_address:
        return
    for mac, owner in desired.engine_owned:
        if mac == observed.mac_address.lower():
            raise MacvlanError(
                f"link {desired.name} in {desired.where} is the endpoint of {owner} (MAC {mac}): the engine created it "
                "and manages it, so it is never changed or deleted here; give this link another name (for example eth1)"
            )


def with_defaults(desired: DesiredLink, parent: ParentInfo | None) -> DesiredLink:
    """An exact entry: what the user left unset goes back to what a new link would get.

    The MAC stays (a link keeps its identity and DHCP lease), and so do the broadcast queue
    settings (bc_cutoff belongs to the parent's port: resetting it would change every sibling)."""
    return dataclasses.replace(
        desired,
        mode=desired.mode or DEFAULT_MODE,
        flags=desired.flags if desired.flags is not None else [],
        source_macs=desired.source_macs if desired.source_macs is not None else [],
        up=True if desired.up is None else desired.up,
        mtu=desired.mtu if desired.mtu is not None or parent is None else parent.mtu,
        addresses=desired.addresses if desired.addresses is not None else [],
        routes=desired.routes if desired.routes is not None else [],
    )


# ---- refusals ----------------------------------------------------------------------------


def effective_mode(desired: DesiredLink, observed: ObservedLink | None) -> str:
    return desired.mode or (observed.mode if observed and observed.mode else DEFAULT_MODE)


def _check_mode_consistency(desired: DesiredLink, observed: ObservedLink | None) -> None:
    """Flags and source MACs only mean something in one mode each."""
    mode = effective_mode(desired, observed)
    for flag in desired.flags or []:
        needed = FLAG_NEEDS_MODE[flag]
        if mode != needed:
            raise MacvlanError(
                f"flags: {flag!r} needs mode {needed}, but link {desired.name} in {desired.where} would be in mode {mode}"
            )
    if desired.source_macs and mode != "source":
        raise MacvlanError(
            f"source_macs: only a mode source link accepts a sender list; link {desired.name} in {desired.where} "
            f"would be in mode {mode}"
        )


def _check_mtu(desired: DesiredLink, parent: ParentInfo | None) -> None:
    mtu = desired.mtu
    if mtu is None:
        return
    if not ETHERNET_MTU_MIN <= mtu <= ETHERNET_MTU_MAX:
        raise MacvlanError(
            f"mtu={mtu}: an Ethernet MTU must be between {ETHERNET_MTU_MIN} and {ETHERNET_MTU_MAX} "
            f"(link {desired.name} in {desired.where})"
        )
    # The kernel refuses a macvlan MTU above its lower device's (EINVAL), on creation and later.
    if parent is not None and parent.mtu is not None and mtu > parent.mtu:
        raise MacvlanError(
            f"mtu={mtu}: a macvlan's MTU cannot exceed its parent's, and parent {parent.name} in {parent.where} "
            f"has MTU {parent.mtu} (link {desired.name} in {desired.where})"
        )


def _mac_to_set(plan: Plan) -> tuple[str | None, str | None]:
    """(MAC the plan would give the link, its mode then)."""
    for action in plan.actions:
        if action.op is Op.CREATE:
            return action.arg.mac_address, action.arg.mode
        if action.op is Op.SET_LINK and "mac_address" in action.arg:
            return action.arg["mac_address"], plan.after.mode if plan.after else None
    return None, None


def _check_mac_free(plan: Plan, desired: DesiredLink, observed: ObservedLink | None, parent: ParentInfo | None) -> None:
    """Refuse before touching the kernel when the MAC we would set is already on the parent."""
    mac, mode = _mac_to_set(plan)
    if not mac or parent is None or mode == "passthru":  # passthru takes the parent's MAC by design
        return
    wanted_for = f"(wanted for link {desired.name} in {desired.where}); macvlans on one parent need distinct MACs"
    if mac == parent.mac_address:
        raise MacvlanError(f"mac_address {mac}: already used by parent {parent.name} in {parent.where} {wanted_for}")
    # The link itself is a sibling only when it lives next to the parent: compare by ifindex there.
    own_ifindex = observed.ifindex if observed is not None and parent.netnsid is None else None
    for sibling in parent.siblings:
        if sibling.mac_address == mac and sibling.ifindex != own_ifindex:
            raise MacvlanError(
                f"mac_address {mac}: already used by {sibling.kind} {sibling.name} on parent {parent.name} "
                f"in {parent.where} {wanted_for}"
            )


# ---- re-creation -------------------------------------------------------------------------


def _lower_label(observed: ObservedLink, parent: ParentInfo, where: str) -> str:
    """How a message names the lower device an existing link sits on."""
    index, nsid = observed.parent_ifindex, observed.parent_netnsid
    name = observed.parent or f"ifindex {index}"
    if parent.netnsid is None and nsid is None:
        return name
    if nsid is None:
        return f"{name} in {where}"
    if nsid == parent.netnsid:
        return f"{name} in {parent.where}"
    return f"ifindex {index} in another namespace (peer id {nsid})"


def recreate_reasons(desired: DesiredLink, observed: ObservedLink, parent: ParentInfo | None) -> list[str]:
    """What cannot change on a live link, as 'attribute: current -> wanted'."""
    reasons = []
    if desired.kind != observed.kind:
        reasons.append(f"kind: {observed.kind} -> {desired.kind}")
    # The kernel silently ignores a new IFLA_LINK on an existing macvlan.
    if parent is not None and (parent.ifindex, parent.netnsid) != (observed.parent_ifindex, observed.parent_netnsid):
        wanted = parent.name if parent.netnsid is None else f"{parent.name} in {parent.where}"
        reasons.append(f"parent: {_lower_label(observed, parent, desired.where)} -> {wanted}")
    mode = desired.mode
    if mode and mode != observed.mode and "passthru" in (mode, observed.mode):
        reasons.append(f"mode: {observed.mode} -> {mode} (passthru cannot be entered or left on a live link)")
    # Queues are allocated with the device: the kernel has no request that changes their count.
    for attr in ("numtxqueues", "numrxqueues"):
        wanted, current = getattr(desired, attr), getattr(observed, attr)
        if wanted is not None and current is not None and wanted != current:
            reasons.append(f"{attr}: {current} -> {wanted} (fixed when the link is created)")
    return reasons


def link_spec(desired: DesiredLink, keep: ObservedLink | None, parent: ParentInfo | None) -> LinkSpec:
    """Everything a fresh link needs; `keep` (the link being replaced) fills what the user left open."""

    def pick(attr: str):
        wanted = getattr(desired, attr)
        return wanted if wanted is not None else (getattr(keep, attr) if keep is not None else None)

    mode = desired.mode or (keep.mode if keep is not None and keep.mode else None) or DEFAULT_MODE
    up = desired.up if desired.up is not None else (keep.up if keep is not None else True)
    return LinkSpec(
        name=desired.name,
        kind=desired.kind,
        parent=parent.name if parent is not None else keep.parent if keep is not None else None,
        parent_ifindex=parent.ifindex if parent is not None else keep.parent_ifindex,
        mode=mode,
        flags=pick("flags"),
        # A replaced link keeps its MAC unless another is asked for (same DHCP lease).
        mac_address=desired.mac_address or (keep.mac_address if keep is not None else None) or desired.new_mac,
        mtu=pick("mtu"),
        bcqueuelen=pick("bcqueuelen"),
        bc_cutoff=pick("bc_cutoff"),
        source_macs=list(pick("source_macs") or []) if mode == "source" else [],
        addresses=list(pick("addresses") or []),
        routes=[dict(r) for r in pick("routes") or []],
        up=up,
        numtxqueues=pick("numtxqueues"),
        numrxqueues=pick("numrxqueues"),
    )


def creation_actions(spec: LinkSpec) -> list[Action]:
    # The create request itself brings the link up (one request, not two); everything after it
    # needs the new link's ifindex. Routes last: a gateway must be reachable through the link's addresses.
    actions = [Action(Op.CREATE, spec)]
    if spec.source_macs:
        actions.append(Action(Op.SET_SOURCE_MACS, spec.source_macs))
    actions.extend(Action(Op.ADD_ADDRESS, cidr) for cidr in spec.addresses)
    actions.extend(Action(Op.ADD_ROUTE, route) for route in spec.routes)
    return actions


def _predicted_new_link(spec: LinkSpec, parent: ParentInfo | None) -> ObservedLink:
    return ObservedLink(
        name=spec.name,
        ifindex=None,  # known only once the kernel has created it
        kind=spec.kind,
        parent=spec.parent,
        parent_ifindex=spec.parent_ifindex,
        parent_netnsid=parent.netnsid if parent is not None else None,
        mode=spec.mode,
        mac_address=spec.mac_address,
        mtu=spec.mtu if spec.mtu is not None else (parent.mtu if parent is not None else None),
        up=spec.up,
        flags=sorted(spec.flags or []),
        source_macs=sorted(spec.source_macs),
        bcqueuelen=spec.bcqueuelen,
        bc_cutoff=spec.bc_cutoff,
        addresses=list(spec.addresses),
        routes=[dict(r) for r in spec.routes],
        numtxqueues=spec.numtxqueues if spec.numtxqueues is not None else 1,
        numrxqueues=spec.numrxqueues if spec.numrxqueues is not None else 1,
    )


def _read_back(spec: LinkSpec) -> dict:
    return {attr: getattr(spec, attr) for attr in READ_BACK_ATTRS if getattr(spec, attr) is not None}


def _plan_creation(desired: DesiredLink, parent: ParentInfo | None) -> Plan:
    if parent is None:
        raise MacvlanError(f"parent: link {desired.name} does not exist in {desired.where}, and creating it needs a parent")
    spec = link_spec(desired, None, parent)
    return Plan(actions=creation_actions(spec), after=_predicted_new_link(spec, parent), created=True, verify=_read_back(spec))


def _plan_recreation(desired: DesiredLink, observed: ObservedLink, parent: ParentInfo | None, reasons: list[str]) -> Plan:
    # Links are created through the parent's namespace (the link's own when no parent is given),
    # and a lower device is named by its ifindex there: the old lower device must live there too
    # to be reused (no parent given) or put back (the re-creation failed).
    creating_netnsid = parent.netnsid if parent is not None else None
    reachable = observed.parent_netnsid == creating_netnsid
    if parent is None and not reachable:
        raise MacvlanError(
            f"parent: re-creating link {desired.name} in {desired.where} needs the parent, because its lower device "
            f"lives in another namespace"
        )
    spec = link_spec(desired, observed, parent)
    old = link_spec(DesiredLink(name=observed.name, netns=desired.netns, where=desired.where, kind=observed.kind), observed, None)
    delete = Action(Op.DELETE, observed.ifindex, undo=tuple(creation_actions(old)) if reachable else ())
    return Plan(
        actions=[delete] + creation_actions(spec),
        after=_predicted_new_link(spec, parent),
        recreate_reasons=reasons,
        created=True,
        recreated=True,
        verify=_read_back(spec),
        restore_impossible=None if reachable else f"its old lower device ({_lower_label(observed, parent, desired.where)}) is not in {parent.where}",
    )


# ---- changes on a live link --------------------------------------------------------------


def _plan_in_place(desired: DesiredLink, observed: ObservedLink) -> Plan:
    plan = Plan(after=observed.copy())
    after = plan.after

    info_changes, info_before = {}, {}
    for attr in INFO_DATA_ATTRS:
        wanted, current = getattr(desired, attr), getattr(observed, attr)
        if wanted is None:
            continue
        if attr == "flags":
            wanted, current = sorted(wanted), sorted(current or [])
        if wanted != current:
            info_changes[attr], info_before[attr] = wanted, current
            setattr(after, attr, wanted)
    if info_changes:
        undo = {k: v for k, v in info_before.items() if v is not None}
        plan.actions.append(Action(Op.SET_INFO_DATA, info_changes, undo=(Action(Op.SET_INFO_DATA, undo),) if undo else ()))
        plan.verify.update({k: v for k, v in info_changes.items() if k in READ_BACK_ATTRS})

    macs = desired.source_macs
    if macs is not None and sorted(macs) != sorted(observed.source_macs):
        plan.actions.append(Action(Op.SET_SOURCE_MACS, sorted(macs), undo=(Action(Op.SET_SOURCE_MACS, sorted(observed.source_macs)),)))
        after.source_macs = sorted(macs)

    link_changes = {attr: getattr(desired, attr) for attr in ("mac_address", "mtu") if getattr(desired, attr) not in (None, getattr(observed, attr))}
    if link_changes:
        undo = {attr: getattr(observed, attr) for attr in link_changes}
        plan.actions.append(Action(Op.SET_LINK, link_changes, undo=(Action(Op.SET_LINK, undo),)))
        for attr, value in link_changes.items():
            setattr(after, attr, value)

    _plan_addresses(plan, desired, observed)

    if desired.up is not None and desired.up != observed.up:
        plan.actions.append(Action(Op.SET_LINK, {"up": desired.up}, undo=(Action(Op.SET_LINK, {"up": observed.up}),)))
        after.up = desired.up

    _plan_routes(plan, desired, observed)
    return plan


def _plan_addresses(plan: Plan, desired: DesiredLink, observed: ObservedLink) -> None:
    if desired.addresses is None:
        return
    current = set(observed.addresses or [])
    # Removing an address makes the kernel flush the routes through gateways it made reachable:
    # undoing the removal puts those routes back too.
    restore = tuple(Action(Op.RESTORE_ROUTE, r) for r in observed.routes or [])
    for cidr in sorted(current - set(desired.addresses)):
        plan.actions.append(Action(Op.DEL_ADDRESS, cidr, undo=(Action(Op.ADD_ADDRESS, cidr),) + restore))
    for cidr in desired.addresses:
        if cidr not in current:
            plan.actions.append(Action(Op.ADD_ADDRESS, cidr, undo=(Action(Op.DEL_ADDRESS, cidr),)))
    plan.after.addresses = list(desired.addresses)


def _plan_routes(plan: Plan, desired: DesiredLink, observed: ObservedLink) -> None:
    if desired.routes is None:
        return
    current = {route_key(r): r for r in observed.routes or []}
    wanted = {route_key(r): r for r in desired.routes}
    for key in sorted(set(current) - set(wanted)):
        plan.actions.append(Action(Op.DEL_ROUTE, current[key], undo=(Action(Op.ADD_ROUTE, current[key]),)))
    if any(action.op is Op.DEL_ADDRESS for action in plan.actions):
        # Kept routes may have been flushed with a removed address: put them back (a no-op when they stayed).
        plan.actions.extend(Action(Op.RESTORE_ROUTE, wanted[key]) for key in sorted(set(wanted) & set(current)))
    for key in sorted(set(wanted) - set(current)):
        plan.actions.append(Action(Op.ADD_ROUTE, wanted[key], undo=(Action(Op.DEL_ROUTE, wanted[key]),)))
    plan.after.routes = [wanted[k] for k in sorted(wanted)]


def unapplied_attributes(plan: Plan, end_state: ObservedLink) -> list[tuple[str, object, object]]:
    """(attribute, wanted, read back) for every written attribute the kernel did not keep."""
    return [(attr, wanted, getattr(end_state, attr)) for attr, wanted in plan.verify.items() if getattr(end_state, attr) != wanted]
