# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apply macvlan_links' plans in order, in batches where a plan is one request.

A plan that only creates a link (the usual first run) is one RTM_NEWLINK; consecutive ones in
one namespace go to the kernel in windows without waiting for each answer. Plans that only
delete a link go together as one group deletion. Every other plan runs through the shared
applier, step by step with its undo. Whatever the path: links before a failure stay
converged, the failing link leaves nothing half-built, links after it are not left changed.
"""

from __future__ import annotations

import dataclasses

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import RACE_CODES, ConcurrentChange, KernelRefusal, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import LinkApplier, describe_action
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.converge import reconcile_link, with_earlier_steps
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.run import LinkWork
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import Op, Sibling
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes


class Progress:
    """What has been converged so far, and the MACs this run gave new links on each parent."""

    def __init__(self, work: list[LinkWork]):
        self.pending = [item for item in work if item.plan.changed]
        self.done: list[str] = []
        self.created: dict[tuple, list[Sibling]] = {}

    def failed(self, item: LinkWork, exc: MacvlanError) -> MacvlanError:
        """The error for `item`, saying which links were converged and which were not attempted."""
        later = [w.label for w in self.pending[self.pending.index(item) + 1:]]
        message = f"{item.label}: {exc}"
        message += f". Converged before it: {', '.join(self.done)}" if self.done else ". Nothing else had been changed"
        return MacvlanError(message + (f". Not attempted: {', '.join(later)}" if later else ""))

    def replan(self, item: LinkWork) -> None:
        """Links made earlier in this run are siblings too: plan a creation again with them (pure)."""
        if item.parent is None or not item.plan.created:
            return
        key = (item.parent_netns, item.parent.ifindex)
        extra = tuple(self.created.get(key, []))
        if extra:
            parent = dataclasses.replace(item.parent, siblings=item.parent.siblings + extra)
            item.plan = plan_link_changes(item.desired, item.before, parent)
        create = next((a for a in item.plan.actions if a.op is Op.CREATE), None)
        if create is not None and create.arg.mac_address:
            self.created.setdefault(key, []).append(Sibling(-1, item.desired.name, create.arg.kind, create.arg.mac_address))


def _shape(item: LinkWork) -> str | None:
    ops = [action.op for action in item.plan.actions]
    if ops == [Op.CREATE]:
        return "create"
    if ops == [Op.DELETE] and item.desired.state == "absent":
        return "delete"
    return None


def _same_batch(item: LinkWork, shape: str, where: tuple) -> bool:
    return _shape(item) == shape and (item.desired.netns, item.parent_netns) == where


def apply_links(pool: NamespacePool, work: list[LinkWork]) -> None:
    progress = Progress(work)
    index = 0
    while index < len(progress.pending):
        item = progress.pending[index]
        shape = _shape(item)
        end = index + 1
        where = (item.desired.netns, item.parent_netns)
        if shape is not None:
            while end < len(progress.pending) and _same_batch(progress.pending[end], shape, where):
                end += 1
        batch = progress.pending[index:end]
        if shape == "create":
            _create_batch(pool, batch, progress)
        elif shape == "delete":
            _delete_batch(pool, batch, progress)
        else:
            _apply_one(pool, item, progress)
        index = end


def _apply_one(pool: NamespacePool, item: LinkWork, progress: Progress) -> None:
    try:
        progress.replan(item)
        place = pool.placement(item.desired.netns, item.parent_netns)
        before = item.before
        item.applier = LinkApplier(place, item.desired.name, before.kind if before else item.desired.kind, before.ifindex if before else None)
        try:
            item.applier.apply(item.plan)
            raced = bool(item.applier.raced)
        except ConcurrentChange:
            raced = True
    except MacvlanError as exc:
        raise progress.failed(item, exc) from exc
    if raced:
        _converge_raced(pool, item, progress, undo=item.applier)
        return
    progress.done.append(item.label)
    pool.forget(item.desired.netns)


def _converge_raced(pool: NamespacePool, item: LinkWork, progress: Progress, undo: LinkApplier | None = None) -> None:
    """The link appeared, vanished or gained an address or route since the plans were made (another
    run converging it, typically): read it again and converge it once more, as macvlan_link does;
    the link then reports what this run found and what it changed itself."""
    pool.forget(item.desired.netns)
    try:
        outcome = reconcile_link(pool.placement(item.desired.netns, item.parent_netns), item.desired, False)
    except MacvlanError as exc:
        if undo is not None:
            undo.undo(item.plan, exc)
        raise progress.failed(item, exc) from exc
    done_before = undo.done if undo is not None else []
    item.before = outcome.before if not done_before else item.before
    item.plan = with_earlier_steps(outcome.plan, done_before)
    item.applier = None
    pool.forget(item.desired.netns)
    progress.done.append(item.label)


def _create_batch(pool: NamespacePool, batch: list[LinkWork], progress: Progress) -> None:
    ready = []
    for item in batch:
        try:
            progress.replan(item)
        except MacvlanError as exc:
            _send_creates(pool, ready, progress)
            raise progress.failed(item, exc) from exc
        ready.append(item)
    _send_creates(pool, ready, progress)


def _send_creates(pool: NamespacePool, items: list[LinkWork], progress: Progress) -> None:
    if not items:
        return
    place = pool.placement(items[0].desired.netns, items[0].parent_netns)
    answers = place.parent_nl.create_many([item.plan.actions[0].arg for item in items], place.into_netns_fd)
    pool.forget(items[0].desired.netns)
    # EEXIST (the link appeared meanwhile) or ENODEV (its parent vanished): read again, converge once more.
    first = next((i for i, answer in enumerate(answers) if answer is not None and answer.code not in RACE_CODES), None)
    end = len(items) if first is None else first
    for index, (item, answer) in enumerate(zip(items[:end], answers[:end])):
        if answer is None:
            progress.done.append(item.label)
            continue
        try:
            _converge_raced(pool, item, progress)
        except MacvlanError:
            _remove_created(place, items[index + 1:], answers[index + 1:])
            raise
    if first is None:
        return
    _remove_created(place, items[first + 1:], answers[first + 1:])
    item, refusal = items[first], answers[first]
    create = item.plan.actions[0]
    reason = refusal.reason(create.arg.mode == "passthru")
    raise progress.failed(item, MacvlanError(f"{describe_action(create, item.desired.name)} in {item.desired.where}: {reason}"))


def _remove_created(place, items: list[LinkWork], answers: list) -> None:
    """The window went out whole: links after a failed one exist, but were "not attempted"."""
    extra = [place.link_nl.ifindex_of(item.desired.name) for item, answer in zip(items, answers) if answer is None]
    place.link_nl.delete_many([index for index in extra if index is not None])


def _delete_batch(pool: NamespacePool, batch: list[LinkWork], progress: Progress) -> None:
    nl = pool.socket(batch[0].desired.netns)
    try:
        nl.delete_many([item.before.ifindex for item in batch])
    except KernelRefusal:
        # Nothing was deleted: go link by link, for a message that names the one the kernel refuses.
        for item in batch:
            _apply_one(pool, item, progress)
        return
    pool.forget(batch[0].desired.netns)
    progress.done.extend(item.label for item in batch)
