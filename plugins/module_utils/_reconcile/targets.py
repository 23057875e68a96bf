# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A macvlan in one namespace on a parent that lives in another (macvlan_netns).

The reconcile run is the shared one (_link_reconcile); this file only opens the two sides:
it checks that both namespaces exist, creates the target when the user asked for it (and
removes it again if the run fails), and hands the reconcile run a Placement whose creations
go from the parent's side straight into the target (IFLA_NET_NS_FD, as the CNI macvlan
plugin does), so no temporary name is ever visible and no move drops addresses.
"""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import Placement
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.converge import Outcome, default_parent, observe_parent, reconcile_link
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, Plan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink, create_named_netns, remove_named_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, is_named, netns_exists, open_netns_fd, same_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes


def place_link(desired: DesiredLink, parent_netns: str | None, create_netns: bool, check_mode: bool) -> Outcome:
    """One reconcile run of link desired.name in desired.netns on desired.parent in parent_netns."""
    target = desired.netns
    present = desired.state == "present"
    if not netns_exists(target):
        if not present:
            return Outcome(Plan(), None, None)
        if not create_netns:
            hint = "; set create_netns: true to create it" if is_named(target) else ""
            raise MacvlanError(f"netns: {desired.where} does not exist{hint}")
    if parent_netns is not None and not netns_exists(parent_netns):
        raise MacvlanError(f"parent_netns: {describe_netns(parent_netns)} does not exist")

    with Netlink(parent_netns) as pnl:
        if not netns_exists(target):
            if check_mode:
                # The namespace create_netns would make is empty: the link would be new.
                place = Placement(link_nl=None, parent_nl=pnl, parent_netns=parent_netns)
                desired = default_parent(place, desired, None)
                plan = plan_link_changes(desired, None, observe_parent(place, desired, None))
                return Outcome(plan, None, plan.after)
            create_named_netns(target)
            try:
                return _reconcile_in_target(desired, parent_netns, pnl, check_mode)
            except Exception:
                remove_named_netns(target)
                raise
        return _reconcile_in_target(desired, parent_netns, pnl, check_mode)


def _reconcile_in_target(desired: DesiredLink, parent_netns: str | None, pnl: Netlink, check_mode: bool) -> Outcome:
    with Netlink(desired.netns) as tnl, open_netns_fd(desired.netns) as target_fd:
        shared = same_netns(desired.netns, parent_netns)
        place = Placement(link_nl=tnl, parent_nl=pnl, parent_netns=parent_netns, shared=shared, into_netns_fd=target_fd)
        return reconcile_link(place, desired, check_mode)
