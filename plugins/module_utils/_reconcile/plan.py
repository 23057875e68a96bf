# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine's planning step: every entry of a run (one for macvlan_link and macvlan_netns, many
for macvlan_links) observed through the one observer and planned by the one planner, before the
first kernel change, so a refusal anywhere fails the task with nothing changed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.request import DhcpRequest
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import LinkApplier
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import LinkEntry
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink, ParentInfo, Plan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes


@dataclass
class LinkWork:
    """One link of the run: what was asked, what was found, what the planner decided."""

    label: str | None  # how messages name the entry ("config[3] (mv0 in ...)"); None: the task's only link
    desired: DesiredLink
    parent_netns: str | None
    parent: ParentInfo | None
    before: ObservedLink | None
    plan: Plan
    after: ObservedLink | None = None
    # (applier, plan) of each pass that changed the link: what read-back undoes, newest first.
    appliers: list[tuple[LinkApplier, Plan]] = field(default_factory=list, repr=False)
    dhcp: DhcpRequest | None = None  # what the link's DHCP client must do (None: don't care)

    @property
    def action(self) -> str:
        if not self.plan.changed:
            return "unchanged"
        if self.desired.state == "absent":
            return "deleted"
        return "recreated" if self.plan.recreated else "created" if self.plan.created else "updated"


def labelled(label: str | None, exc: MacvlanError) -> MacvlanError:
    """The error prefixed with the entry it is about, when the run has entries to tell apart."""
    return MacvlanError(f"{label}: {exc}") if label else exc


def may_set_mac(desired: DesiredLink, observed: ObservedLink | None) -> bool:
    """Whether the plan could give the link a MAC: only then are the parent's siblings compared."""
    return observed is None or desired.mac_address is not None or desired.recreate != "never"


def _orphan(link: ObservedLink, netns: str | None) -> DesiredLink:
    return DesiredLink(name=link.name, netns=netns, where=describe_netns(netns), state="absent", kind=link.kind)


def _plan_entry(pool: NamespacePool, entry: LinkEntry) -> list[LinkWork]:
    desired = entry.desired
    if desired is None:  # deleted: every macvlan on the parent
        parent = pool.parent(entry.netns, entry.parent, entry.parent_netns)
        return [
            _work(pool, entry.label, _orphan(link, entry.netns), entry.parent_netns, parent, entry.dhcp)
            for link in pool.on_parent(entry.netns, parent)
        ]
    parent = None
    if desired.state == "present":
        if desired.parent is None:
            # A link to be created without a parent: the default route's interface, as macvlan_link does.
            try:
                desired = pool.default_parent(desired, entry.parent_netns)
            except MacvlanError as exc:
                raise labelled(entry.label, exc) from exc
        if desired.parent is not None:
            parent = pool.parent(entry.netns, desired.parent, entry.parent_netns)
    return [_work(pool, entry.label, desired, entry.parent_netns, parent, entry.dhcp)]


def _work(
    pool: NamespacePool, label: str | None, desired: DesiredLink, parent_netns: str | None, parent: ParentInfo | None, dhcp: DhcpRequest | None = None
) -> LinkWork:
    before = pool.observe(desired.netns, desired.name)
    if parent is not None and not may_set_mac(desired, before):
        parent = dataclasses.replace(parent, siblings=())
    pool.name_lower_device(before, pool.placement(desired.netns, parent_netns), parent)
    try:
        plan = plan_link_changes(desired, before, parent)
    except MacvlanError as exc:
        raise labelled(label, exc) from exc
    if desired.state == "absent" and dhcp is not None:
        dhcp = dataclasses.replace(dhcp, enabled=False)  # a link that goes takes its client with it
    return LinkWork(label, desired, parent_netns, parent, before, plan, dhcp=dhcp)


def _orphans(pool: NamespacePool, entries: list[LinkEntry]) -> list[LinkWork]:
    """overridden: every other macvlan on the parents named in config, in the namespaces named there."""
    listed = {(entry.netns, entry.desired.name) for entry in entries if entry.desired is not None}
    work, seen = [], set()
    for entry in entries:
        if entry.parent is None:
            continue
        parent = pool.parent(entry.netns, entry.parent, entry.parent_netns)
        for link in pool.on_parent(entry.netns, parent):
            key = (entry.netns, link.name)
            if key not in listed and key not in seen:
                seen.add(key)
                label = f"{link.kind} {link.name} in {describe_netns(entry.netns)} (on parent {parent.name}, not in config)"
                stop = dataclasses.replace(entry.dhcp, enabled=False) if entry.dhcp is not None else DhcpRequest(False)
                work.append(_work(pool, label, _orphan(link, entry.netns), entry.parent_netns, parent, stop))
    return work


def plan_links(pool: NamespacePool, entries: list[LinkEntry], overridden: bool) -> list[LinkWork]:
    """Every link's plan, before anything changes; orphans first, so their names and MACs are free."""
    work = _orphans(pool, entries) if overridden else []
    for entry in entries:
        work.extend(_plan_entry(pool, entry))
    return work


def replan(pool: NamespacePool, item: LinkWork) -> LinkWork:
    """The same entry observed and planned again (the kernel changed since the first plan); its errors
    are not labelled here: the apply step says which entry failed and what was converged before it."""
    pool.forget(item.desired.netns)
    pool.forget(item.parent_netns)
    desired, parent = item.desired, None
    if desired.state == "present" and desired.parent is not None:
        parent = pool.parent(desired.netns, desired.parent, item.parent_netns)
    return dataclasses.replace(_work(pool, None, desired, item.parent_netns, parent, item.dhcp), label=item.label)
