# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine's apply step: every plan of a run carried out in order through the one step table.

Consecutive plans that are one batchable step in one namespace (a plain creation, a plain deletion)
go to the kernel together through that step's `run_many`; every other plan runs step by step with
its undo. When the kernel changed between the plan and the write (a link appeared or vanished, an
address or route appeared: typically a parallel run converging the same link), the entry is observed
and planned again and converged once more. Whatever the path: links before a failure stay converged,
the failing link leaves nothing half-built, links after it are not attempted, and the message says
which is which.
"""

from __future__ import annotations

import dataclasses

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import RACE_CODES, ConcurrentChange, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import Op, Plan, Sibling
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.plan import LinkWork, replan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import STEPS, LinkApplier, describe_action


class Progress:
    """What has been converged so far, and the MACs this run gave new links on each parent."""

    def __init__(self, work: list[LinkWork]):
        self.pending = [item for item in work if item.plan.changed]
        self.done: list[str] = []
        self.created: dict[tuple, list[Sibling]] = {}

    def failed(self, item: LinkWork, exc: MacvlanError) -> MacvlanError:
        """The error for `item`; in a run of several entries, it says which links were converged and
        which were not attempted."""
        if not item.label:
            return exc
        later = [w.label for w in self.pending[self.pending.index(item) + 1:]]
        message = f"{item.label}: {exc}"
        message += f". Converged before it: {', '.join(self.done)}" if self.done else ". Nothing else had been changed"
        return MacvlanError(message + (f". Not attempted: {', '.join(later)}" if later else ""))

    def with_new_siblings(self, item: LinkWork) -> None:
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


def with_earlier_steps(plan: Plan, done: list) -> Plan:
    """The plan of a second pass, as this run reports it: with the steps its first pass did."""
    created = any(action.op is Op.CREATE for action in done)
    return dataclasses.replace(plan, actions=list(done) + plan.actions, created=plan.created or created,
                               recreated=plan.recreated or (created and any(action.op is Op.DELETE for action in done)))


def undo_all(item: LinkWork, failure: MacvlanError) -> None:
    """Undo the attempts newest first: the link ends as this run found it."""
    for applier, plan in reversed(item.appliers):
        applier.undo(plan, failure)


def _batch_op(item: LinkWork) -> Op | None:
    """The op of a plan that is one step with a `run_many` (a deletion only when the link goes)."""
    actions = item.plan.actions
    if len(actions) != 1 or STEPS[actions[0].op].run_many is None:
        return None
    if actions[0].op is Op.DELETE and item.desired.state != "absent":
        return None
    return actions[0].op


def _same_batch(item: LinkWork, op: Op, where: tuple) -> bool:
    return _batch_op(item) is op and (item.desired.netns, item.parent_netns) == where


def apply_links(pool: NamespacePool, work: list[LinkWork]) -> None:
    progress = Progress(work)
    index = 0
    while index < len(progress.pending):
        item = progress.pending[index]
        op = _batch_op(item)
        where = (item.desired.netns, item.parent_netns)
        end = index + 1
        if op is not None:
            while end < len(progress.pending) and _same_batch(progress.pending[end], op, where):
                end += 1
        if op is Op.CREATE:
            _create_batch(pool, progress.pending[index:end], progress)
        elif op is Op.DELETE and end - index > 1:
            _delete_batch(pool, progress.pending[index:end], progress)
        else:
            _apply_one(pool, item, progress)
        index = end


def _apply_one(pool: NamespacePool, item: LinkWork, progress: Progress) -> None:
    try:
        progress.with_new_siblings(item)
        before = item.before
        applier = LinkApplier(pool.placement(item.desired.netns, item.parent_netns), item.desired.name,
                              before.kind if before else item.desired.kind, before.ifindex if before else None)
        item.appliers = [(applier, item.plan)]
        try:
            applier.apply(item.plan)
            raced = bool(applier.raced)
        except ConcurrentChange:
            raced = True
    except MacvlanError as exc:
        raise progress.failed(item, exc) from exc
    pool.forget(item.desired.netns)
    if raced:
        _converge_again(pool, item, progress, applier)
        return
    progress.done.append(item.label)


def _converge_again(pool: NamespacePool, item: LinkWork, progress: Progress, first: LinkApplier | None) -> None:
    """Observe and plan the entry again and converge it once more; the link then reports what this run
    found and what it changed itself. Only a link appearing or vanishing again fails the entry."""
    done_before = first.done if first is not None else []
    try:
        again = replan(pool, item)
    except MacvlanError as exc:
        undo_all(item, exc)
        raise progress.failed(item, exc) from exc
    if again.plan.changed:
        before = again.before
        second = LinkApplier(pool.placement(item.desired.netns, item.parent_netns), item.desired.name,
                             before.kind if before else item.desired.kind, before.ifindex if before else None)
        item.appliers.append((second, again.plan))
        try:
            second.apply(again.plan)
        except ConcurrentChange:
            failure = ConcurrentChange(
                f"link {item.desired.name} in {item.desired.where} kept changing while it was being configured "
                "(another process changes it at the same time); nothing of this run was kept"
            )
            undo_all(item, failure)
            raise progress.failed(item, failure) from None
        except MacvlanError as exc:
            # The second applier undid its own steps; undo the first pass too.
            for applier, plan in reversed(item.appliers[:-1]):
                applier.undo(plan, exc)
            raise progress.failed(item, exc) from exc
        pool.forget(item.desired.netns)
    if not done_before:
        item.before = again.before
    item.parent = again.parent
    item.plan = with_earlier_steps(again.plan, done_before)
    progress.done.append(item.label)


def _create_batch(pool: NamespacePool, batch: list[LinkWork], progress: Progress) -> None:
    ready = []
    for item in batch:
        try:
            progress.with_new_siblings(item)
        except MacvlanError as exc:
            _send_creates(pool, ready, progress)
            raise progress.failed(item, exc) from exc
        ready.append(item)
    _send_creates(pool, ready, progress)


def _send_creates(pool: NamespacePool, items: list[LinkWork], progress: Progress) -> None:
    if not items:
        return
    place = pool.placement(items[0].desired.netns, items[0].parent_netns)
    answers = STEPS[Op.CREATE].run_many(place, [item.plan.actions[0].arg for item in items])
    pool.forget(items[0].desired.netns)
    # EEXIST (the link appeared meanwhile) or ENODEV (its parent vanished): observe again, converge once more.
    first = next((i for i, answer in enumerate(answers) if answer is not None and answer.code not in RACE_CODES), None)
    end = len(items) if first is None else first
    for index, (item, answer) in enumerate(zip(items[:end], answers[:end])):
        if answer is None:
            progress.done.append(item.label)
            continue
        item.appliers = []
        try:
            _converge_again(pool, item, progress, None)
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
    STEPS[Op.DELETE].run_many(place, [index for index in extra if index is not None])


def _delete_batch(pool: NamespacePool, batch: list[LinkWork], progress: Progress) -> None:
    place = pool.placement(batch[0].desired.netns, batch[0].parent_netns)
    try:
        STEPS[Op.DELETE].run_many(place, [item.before.ifindex for item in batch])
    except MacvlanError:
        # Nothing was deleted: go link by link, for a message that names the one the kernel refuses.
        pool.forget(batch[0].desired.netns)
        for item in batch:
            _apply_one(pool, item, progress)
        return
    pool.forget(batch[0].desired.netns)
    progress.done.extend(item.label for item in batch)
