# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One reconcile run for one link: observe, ask the planner, apply unless check mode, read back.

It decides nothing itself: every decision is the planner's (_planner.py), every kernel call the
backend's, every undo the applier's. Shared by every link module, whether the link lives next to
its parent (macvlan_link) or in another namespace (macvlan_netns).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import ATTRIBUTE_KERNELS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import ConcurrentChange, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import LinkApplier, Placement
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink, Op, ParentInfo, Plan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import netns_exists
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes, unapplied_attributes

# The link's namespace has no id for the parent's, so no link in it can sit on that parent:
# a value no kernel id takes makes every existing link compare as "on another parent".
NO_PEER_ID = -1


@dataclass
class Outcome:
    plan: Plan
    before: ObservedLink | None
    after: ObservedLink | None


def may_set_mac(desired: DesiredLink, observed: ObservedLink | None) -> bool:
    """Whether the plan could give the link a MAC: only then are the parent's siblings listed."""
    return observed is None or desired.mac_address is not None or desired.recreate != "never"


def default_parent(place: Placement, desired: DesiredLink, observed: ObservedLink | None) -> DesiredLink:
    """A link to be created without a parent goes on the interface of the default route in the
    parent's namespace, as the CNI macvlan plugin does; an existing one keeps "don't care"."""
    if desired.parent is not None or desired.state != "present" or observed is not None:
        return desired
    device = place.parent_nl.default_route_device()
    if device is None:
        raise MacvlanError(
            f"parent: omitted, and {place.parent_nl.where} has no default route to take it from "
            f"(creating link {desired.name} in {desired.where}); set parent"
        )
    return dataclasses.replace(desired, parent=device)


def observe_parent(place: Placement, desired: DesiredLink, observed: ObservedLink | None) -> ParentInfo | None:
    if desired.parent is None or desired.state != "present":
        return None
    parent = place.parent_nl.read_parent(desired.parent)
    nsid = place.peer_nsid()
    parent = dataclasses.replace(parent, netnsid=None if place.shared else NO_PEER_ID if nsid is None else nsid)
    if may_set_mac(desired, observed):
        parent = dataclasses.replace(parent, siblings=place.parent_nl.siblings_of(parent.ifindex))
    return parent


def name_lower_device(link: ObservedLink | None, place: Placement, parent: ParentInfo | None) -> None:
    """Set link.parent to the lower device's name, wherever it can be seen."""
    if link is None or not link.parent_ifindex or link.parent_ifindex == link.ifindex and link.parent_netnsid is None:
        return
    # The index alone is not enough: a lower device in another namespace may share it.
    if parent is not None and (link.parent_ifindex, link.parent_netnsid) == (parent.ifindex, parent.netnsid):
        link.parent = parent.name  # already resolved: no second lookup
    elif link.parent_netnsid is None:
        link.parent = place.link_nl.link_name(link.parent_ifindex)
    elif link.parent_netnsid == place.peer_nsid():
        link.parent = place.parent_nl.link_name(link.parent_ifindex)


def ignored_attributes_error(problems: list, desired: DesiredLink) -> MacvlanError:
    """Older kernels accept some attributes and silently ignore them: say which kernel is needed."""
    return MacvlanError(
        "; ".join(
            f"{attr}={wanted}: the running kernel ({os.uname().release}) ignored it on link {desired.name} in "
            f"{desired.where} (read back {got!r}); it needs Linux {ATTRIBUTE_KERNELS[attr]} or later"
            for attr, wanted, got in problems
        )
    )


def _observe_and_plan(place: Placement, desired: DesiredLink) -> tuple[ObservedLink | None, ParentInfo | None, Plan]:
    for _attempt in range(2):
        observed = place.link_nl.read_link(name=desired.name)
        wanted = default_parent(place, desired, observed)
        parent = observe_parent(place, wanted, observed)
        appeared = observed is None and parent is not None and place.shared and any(s.name == desired.name for s in parent.siblings)
        if not appeared:
            break
        # The link appeared between the two reads (a parallel run created it): read both again, or
        # the planner would take the new link for a sibling whose MAC is taken.
    name_lower_device(observed, place, parent)
    return observed, parent, plan_link_changes(wanted, observed, parent)


def _applier(place: Placement, desired: DesiredLink, observed: ObservedLink | None) -> LinkApplier:
    return LinkApplier(place, desired.name, observed.kind if observed else desired.kind, observed.ifindex if observed else None)


def _apply(applier: LinkApplier, plan: Plan) -> bool:
    """Apply; True when the link appeared or vanished meanwhile (the plan could not go on). An
    address or route that appeared meanwhile is in applier.raced: the plan went on."""
    try:
        applier.apply(plan)
    except ConcurrentChange:
        return True
    return False


def _namespaces_gone(place: Placement, desired: DesiredLink) -> MacvlanError | None:
    """A namespace deleted during the run (a container stopped): the sockets kept it alive, nothing
    named can reach it. The link's namespace is named as the user named it (a container by its name)."""
    for nl, where in ((place.link_nl, desired.where), (place.parent_nl, place.parent_nl.where)):
        if nl.netns is not None and not netns_exists(nl.netns):
            return MacvlanError(f"{where} was deleted while link {desired.name} was being configured in it")
    return None


def reconcile_link(place: Placement, desired: DesiredLink, check_mode: bool) -> Outcome:
    """Observe, plan, apply, read back. When another process changed the link between the read and
    the write (it appeared, vanished, or got an address or route meanwhile: typically a parallel
    run converging the same link), read it again and converge once more; what this run then
    reports is what it found and what it changed itself."""
    observed, parent, plan = _observe_and_plan(place, desired)
    if check_mode or not plan.changed:
        return Outcome(plan, observed, plan.after if plan.changed else observed)

    first = _applier(place, desired, observed)
    reported, final, before = plan, plan, observed
    appliers = [first]
    if _apply(first, plan) or first.raced:
        try:
            found, parent, final = _observe_and_plan(place, desired)
        except MacvlanError as failure:
            first.undo(plan, failure)
            raise
        if not first.done:
            before = found
        if final.changed:
            second = _applier(place, desired, found)
            appliers.append(second)
            try:
                # Additions that raced again are done; only a link appearing or vanishing again fails.
                raced_again = _apply(second, final)
            except MacvlanError as failure:
                first.undo(plan, failure)
                raise
            if raced_again:
                failure = ConcurrentChange(
                    f"link {desired.name} in {desired.where} kept changing while it was being configured "
                    "(another process changes it at the same time); nothing of this run was kept"
                )
                _undo_all(appliers, [plan, final], failure)
                raise failure
        reported = with_earlier_steps(final, first.done)
    if desired.state == "absent":
        return Outcome(reported, before, None)
    after = place.link_nl.read_link(name=desired.name)
    if after is None:
        failure = MacvlanError(f"link {desired.name} vanished from {desired.where} while it was being configured")
    else:
        problems = unapplied_attributes(final, after)
        failure = ignored_attributes_error(problems, desired) if problems else _namespaces_gone(place, desired)
    if failure is not None:
        _undo_all(appliers, [plan, final], failure)
        raise failure
    name_lower_device(after, place, parent)
    return Outcome(reported, before, after)


def with_earlier_steps(plan: Plan, done: list) -> Plan:
    """The plan of a second pass, as this run reports it: with the steps its first pass did."""
    created = any(action.op is Op.CREATE for action in done)
    return dataclasses.replace(plan, actions=list(done) + plan.actions, created=plan.created or created,
                               recreated=plan.recreated or (created and any(action.op is Op.DELETE for action in done)))


def _undo_all(appliers: list[LinkApplier], plans: list[Plan], failure: MacvlanError) -> None:
    """Undo the attempts newest first: the link ends as this run found it."""
    for applier, plan in reversed(list(zip(appliers, plans))):
        applier.undo(plan, failure)
