# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One macvlan_links run: plan every link first (here), apply them in order (_links_apply.py),
then read back (here).

Every entry goes through the shared planner (_planner.py) and applier (_link_apply.py), as
in macvlan_link; what is added here is the many: all plans are made before the first kernel
change (a refusal anywhere fails the task with nothing changed), links converged before a
failure stay converged, the failing link is undone, and the message says which is which.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.clients import DhcpRequest
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import LinkApplier
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.converge import (
    default_parent,
    ignored_attributes_error,
    may_set_mac,
    name_lower_device,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import LinkEntry
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink, ParentInfo, Plan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes, unapplied_attributes


@dataclass
class LinkWork:
    """One link of the run: what was asked, what was found, what the planner decided."""

    label: str
    desired: DesiredLink
    parent_netns: str | None
    parent: ParentInfo | None
    before: ObservedLink | None
    plan: Plan
    after: ObservedLink | None = None
    applier: LinkApplier | None = field(default=None, repr=False)
    dhcp: DhcpRequest | None = None  # what the link's DHCP client must do (None: don't care)

    @property
    def action(self) -> str:
        if not self.plan.changed:
            return "unchanged"
        if self.desired.state == "absent":
            return "deleted"
        return "recreated" if self.plan.recreated else "created" if self.plan.created else "updated"


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
                desired = default_parent(pool.placement(entry.netns, entry.parent_netns), desired, pool.observe(entry.netns, desired.name))
            except MacvlanError as exc:
                raise MacvlanError(f"{entry.label}: {exc}") from exc
        if desired.parent is not None:
            parent = pool.parent(entry.netns, desired.parent, entry.parent_netns)
    return [_work(pool, entry.label, desired, entry.parent_netns, parent, entry.dhcp)]


def _work(
    pool: NamespacePool, label: str, desired: DesiredLink, parent_netns: str | None, parent: ParentInfo | None, dhcp: DhcpRequest | None = None
) -> LinkWork:
    before = pool.observe(desired.netns, desired.name)
    if before is not None:
        before = dataclasses.replace(before)  # the pool's copy stays as the kernel reported it
    if parent is not None and not may_set_mac(desired, before):
        parent = dataclasses.replace(parent, siblings=())
    name_lower_device(before, pool.placement(desired.netns, parent_netns), parent)
    try:
        plan = plan_link_changes(desired, before, parent)
    except MacvlanError as exc:
        raise MacvlanError(f"{label}: {exc}") from exc
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


def read_back(pool: NamespacePool, work: list[LinkWork]) -> None:
    """The end state of every link from one dump per namespace; undo a link the kernel did not take."""
    for item in work:
        if not item.plan.changed:
            item.after = item.before
            continue
        if item.desired.state == "absent":
            continue
        after = pool.macvlans(item.desired.netns).get(item.desired.name)
        problems = unapplied_attributes(item.plan, after) if after is not None else [("link", "present", None)]
        if problems:
            failure = ignored_attributes_error(problems, item.desired) if after is not None else MacvlanError(
                f"link {item.desired.name} vanished from {item.desired.where} while it was being configured"
            )
            if item.applier is not None:
                item.applier.undo(item.plan, failure)
            elif after is not None:  # created in a batch, in its one request: undoing it is deleting it
                pool.socket(item.desired.netns).delete_link(after.ifindex)
                failure = MacvlanError(f"{failure} (the new link {item.desired.name} was removed again)")
            raise MacvlanError(f"{item.label}: {failure}")
        item.after = dataclasses.replace(after)
        name_lower_device(item.after, pool.placement(item.desired.netns, item.parent_netns), item.parent)
