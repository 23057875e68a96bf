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

from ansible_collections.linuxnet.macvlan.plugins.module_utils._constants import ATTRIBUTE_KERNELS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._link_apply import LinkApplier, Placement
from ansible_collections.linuxnet.macvlan.plugins.module_utils._model import DesiredLink, ObservedLink, ParentInfo, Plan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner import plan_link_changes, unapplied_attributes

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


def reconcile_link(place: Placement, desired: DesiredLink, check_mode: bool) -> Outcome:
    nl = place.link_nl
    observed = nl.read_link(name=desired.name)
    desired = default_parent(place, desired, observed)
    parent = observe_parent(place, desired, observed)
    name_lower_device(observed, place, parent)
    plan = plan_link_changes(desired, observed, parent)
    if check_mode or not plan.changed:
        return Outcome(plan, observed, plan.after if plan.changed else observed)

    applier = LinkApplier(place, desired.name, observed.kind if observed else desired.kind, observed.ifindex if observed else None)
    applier.apply(plan)
    if desired.state == "absent":
        return Outcome(plan, observed, None)
    after = nl.read_link(name=desired.name)
    if after is None:
        failure = MacvlanError(f"link {desired.name} vanished from {desired.where} while it was being configured")
    else:
        problems = unapplied_attributes(plan, after)
        failure = ignored_attributes_error(problems, desired) if problems else None
    if failure is not None:
        applier.undo(plan, failure)
        raise failure
    name_lower_device(after, place, parent)
    return Outcome(plan, observed, after)
