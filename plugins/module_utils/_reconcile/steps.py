# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carry out a plan's actions through the backend, leaving no half-built link behind.

STEPS is the one table that maps each action to its backend call and to the words that
name it in messages. When a step fails, the applier runs the undo the planner attached to
each step already done, newest first: a created link is deleted again, a replaced link is
put back, a live change is reverted.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import RACE_CODES, ConcurrentChange, KernelRefusal, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import Action, LinkSpec, Op, Plan
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import Placement


def _changes(changes: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in changes.items())


def _route(route: dict) -> str:
    via = f" via {route['gateway']}" if route.get("gateway") else ""
    return f"route {route['dst']}{via}"


@dataclass(frozen=True)
class Step:
    run: Callable[[LinkApplier, Any], None]
    describe: Callable[[Any, str], str]
    # The same step for many links of one namespace in one go (None: one by one). Creations go out
    # in windows of requests; deletions as one group deletion (one unregistration for all).
    run_many: Callable[[Placement, list], list] | None = None


STEPS: dict[Op, Step] = {
    Op.CREATE: Step(
        lambda a, spec: a.create(spec),
        lambda spec, name: f"creating {spec.kind} {name} (mode {spec.mode}) on parent {spec.parent}",
        lambda place, specs: place.parent_nl.create_many(specs, place.into_netns_fd),
    ),
    Op.DELETE: Step(
        lambda a, ifindex: a.delete(ifindex),
        lambda _arg, name: f"deleting {name}",
        lambda place, ifindexes: place.link_nl.delete_many(ifindexes),
    ),
    Op.SET_INFO_DATA: Step(
        lambda a, changes: a.nl.set_info_data(a.ifindex, a.kind, changes),
        lambda changes, name: f"setting {_changes(changes)} on {name}",
    ),
    Op.SET_SOURCE_MACS: Step(
        lambda a, macs: a.nl.set_source_macs(a.ifindex, a.kind, macs),
        lambda _macs, name: f"setting source_macs on {name}",
    ),
    Op.SET_LINK: Step(
        lambda a, changes: a.nl.set_link(a.ifindex, changes),
        lambda changes, name: f"setting {_changes(changes)} on {name}",
    ),
    Op.ADD_ADDRESS: Step(lambda a, cidr: a.nl.add_address(a.ifindex, cidr), lambda cidr, name: f"adding address {cidr} on {name}"),
    Op.DEL_ADDRESS: Step(lambda a, cidr: a.nl.del_address(a.ifindex, cidr), lambda cidr, name: f"removing address {cidr} on {name}"),
    Op.ADD_ROUTE: Step(lambda a, route: a.nl.add_route(a.ifindex, route), lambda route, name: f"adding {_route(route)} on {name}"),
    Op.DEL_ROUTE: Step(lambda a, route: a.nl.del_route(a.ifindex, route), lambda route, name: f"removing {_route(route)} on {name}"),
    Op.RESTORE_ROUTE: Step(
        lambda a, route: a.nl.replace_route(a.ifindex, route),
        lambda route, name: f"restoring {_route(route)} on {name} (the kernel flushed it with a removed address)",
    ),
}


def describe_action(action: Action, name: str) -> str:
    return STEPS[action.op].describe(action.arg, name)


class LinkApplier:
    """Applies one plan to one link, remembering what it did so that it can be undone."""

    def __init__(self, place: Placement, name: str, kind: str | None, ifindex: int | None):
        self.place = place
        self.nl = place.link_nl
        self.name = name
        self.kind = kind
        self._ifindex = ifindex
        self._created_unseen = False  # created, ifindex not looked up yet
        self.done: list[Action] = []
        # Additions the kernel answered EEXIST: the address or route appeared meanwhile (another run
        # converging the same link); not ours to undo, and the caller reads the link again.
        self.raced: list[Action] = []

    @property
    def ifindex(self) -> int | None:
        """The link's ifindex; after a create, looked up only when a later step needs it."""
        if self._created_unseen:
            self._created_unseen = False
            self._ifindex = self.nl.ifindex_of(self.name)
            if self._ifindex is None:
                raise ConcurrentChange(f"{self.kind} {self.name} did not appear in {self.nl.where} after it was created")
        return self._ifindex

    def create(self, spec: LinkSpec) -> None:
        self.place.parent_nl.create_macvlan(spec, self.place.into_netns_fd)
        self.kind = spec.kind
        self._created_unseen = True

    def delete(self, ifindex: int) -> None:
        self.nl.delete_link(ifindex)
        self._ifindex = None
        self._created_unseen = False

    def _run(self, action: Action) -> None:
        """One step; a kernel refusal becomes a message naming the step, the link and the namespace."""
        try:
            STEPS[action.op].run(self, action.arg)
        except KernelRefusal as exc:
            creating_passthru = action.op is Op.CREATE and action.arg.mode == "passthru"
            message = f"{describe_action(action, self.name)} in {self.nl.where}: {exc.reason(creating_passthru)}"
            if exc.code in RACE_CODES:
                raise ConcurrentChange(message) from exc
            raise MacvlanError(message) from exc

    def apply(self, plan: Plan) -> None:
        """Run the actions in order; on failure undo what was done and raise.

        An address or route that appeared meanwhile is noted in `raced` and the run goes on; a link
        that appeared or vanished meanwhile raises ConcurrentChange with nothing undone: the steps
        done so far all led towards the wanted state, and the caller converges again from a fresh read."""
        for action in plan.actions:
            try:
                self._run(action)
            except ConcurrentChange as change:
                appeared = isinstance(change.__cause__, KernelRefusal) and change.__cause__.code == errno.EEXIST
                if appeared and action.op in (Op.ADD_ADDRESS, Op.ADD_ROUTE):
                    self.raced.append(action)
                    continue
                raise
            except MacvlanError as failure:
                self.undo(plan, failure)
                raise
            self.done.append(action)

    def undo(self, plan: Plan, failure: MacvlanError) -> None:
        """Put the link back as it was before this run, and add to `failure` what undo did."""
        done, self.done = self.done, []
        notes, problems = [], []
        created = next((i for i, action in enumerate(done) if action.op is Op.CREATE), None)
        if created is not None:
            # Every later step touched the new link: deleting it undoes them all.
            done = done[:created]
            try:
                if self.ifindex is not None:
                    self.delete(self.ifindex)
                notes.append(f"the new link {self.name} was removed again")
            except KernelRefusal as exc:
                if exc.code not in RACE_CODES:  # ENODEV: someone else removed it already
                    problems.append(f"removing the new link: {exc}")
                else:
                    notes.append(f"the new link {self.name} was removed again")
            except MacvlanError as exc:
                problems.append(f"removing the new link: {exc}")
        for action in reversed(done):
            if action.op is Op.DELETE and plan.restore_impossible:
                problems.append(f"the previous link could not be restored: {plan.restore_impossible}")
                continue
            try:
                for step in action.undo:
                    self._run(step)
            except MacvlanError as exc:
                problems.append(str(exc))
            else:
                if action.op is Op.DELETE:
                    notes.append(f"the previous link {self.name} was restored")
        if problems:
            notes.append(f"undoing it also failed: {'; '.join(problems)}")
        elif done and created is None:
            notes.append(f"the changes to {self.name} were undone")
        if notes:
            failure.args = (f"{failure.args[0]} ({'; '.join(notes)})",)
