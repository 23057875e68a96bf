# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan_promisc through the engine's layers: the observer reads the interface, the pure planner
(_planner/promisc_plan.py) decides, the one step table sets the flags (undone if the kernel does not
take them), the observer reads the end state back."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import Action, ObservedLink, Op, Plan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.host_facts import nic_facts
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.promisc_plan import mismatches, plan_promisc
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import LinkApplier


@dataclass
class PromiscOutcome:
    changes: dict
    before: ObservedLink
    after: ObservedLink
    wireless: bool


def run_promisc(netns: str | None, where: str, name: str, promisc: bool, allmulticast: bool | None, check_mode: bool) -> PromiscOutcome:
    with NamespacePool() as pool:
        before = pool.observe(netns, name)
        if before is None:
            raise MacvlanError(f"interface {name!r} does not exist in {where}")
        changes, after = plan_promisc(before, promisc, allmulticast)
        if changes and not check_mode:
            undo = Action(Op.SET_LINK, {key: getattr(before, key) for key in changes})
            plan = Plan(actions=[Action(Op.SET_LINK, changes, undo=(undo,))])
            applier = LinkApplier(pool.placement(netns, netns), name, before.kind, before.ifindex)
            applier.apply(plan)
            pool.forget(netns)
            after = pool.observe(netns, name)
            if after is None:
                raise MacvlanError(f"interface {name!r} disappeared from {where} while its flags were set")
            refused = mismatches(changes, after)
            if refused:
                failure = MacvlanError(f"setting flags on {name} in {where}: the kernel did not apply them ({'; '.join(refused)})")
                applier.undo(plan, failure)
                raise failure
        wireless = promisc and _wireless(pool, netns, before)
    return PromiscOutcome(changes, before, after, wireless)


def _wireless(pool: NamespacePool, netns: str | None, link: ObservedLink) -> bool:
    bus, device = pool.socket(netns).bus_device(link.ifindex)
    return bool(nic_facts("/", link.name, link.ifindex, link.mac_address, link.kind, bus, device)["wireless"])
