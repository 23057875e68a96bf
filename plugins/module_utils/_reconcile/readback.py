# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine's read-back step: the end state of every changed link from one dump per namespace, and
the one place that undoes a link the kernel did not take as planned.

Older kernels accept some attributes and silently ignore them; a link can vanish, or its namespace
be deleted (a container stopped), while it is configured. Each is undone and reported here.
"""

from __future__ import annotations

import os

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import ATTRIBUTE_KERNELS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink, Op
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import netns_exists
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import unapplied_attributes
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.apply import undo_all
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.plan import LinkWork, labelled
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import STEPS


def ignored_attributes_error(problems: list, desired: DesiredLink) -> MacvlanError:
    """Older kernels accept some attributes and silently ignore them: say which kernel is needed."""
    return MacvlanError(
        "; ".join(
            f"{attr}={wanted}: the running kernel ({os.uname().release}) ignored it on link {desired.name} in "
            f"{desired.where} (read back {got!r}); it needs Linux {ATTRIBUTE_KERNELS[attr]} or later"
            for attr, wanted, got in problems
        )
    )


def _problem(pool: NamespacePool, item: LinkWork, after: ObservedLink | None) -> MacvlanError | None:
    desired = item.desired
    if after is None:
        return MacvlanError(f"link {desired.name} vanished from {desired.where} while it was being configured")
    problems = unapplied_attributes(item.plan, after)
    if problems:
        return ignored_attributes_error(problems, desired)
    # A namespace deleted during the run (a container stopped): the sockets kept it alive, nothing named
    # can reach it. The link's namespace is named as the user named it (a container by its name).
    for netns, where in ((desired.netns, desired.where), (item.parent_netns, pool.socket(item.parent_netns).where)):
        if netns is not None and not netns_exists(netns):
            return MacvlanError(f"{where} was deleted while link {desired.name} was being configured in it")
    return None


def _undo(pool: NamespacePool, item: LinkWork, after: ObservedLink | None, failure: MacvlanError) -> MacvlanError:
    if item.appliers:
        undo_all(item, failure)
        return failure
    if after is not None:  # created in a batch, in its one request: undoing it is deleting it
        STEPS[Op.DELETE].run_many(pool.placement(item.desired.netns, item.parent_netns), [after.ifindex])
        return MacvlanError(f"{failure} (the new link {item.desired.name} was removed again)")
    return failure


def read_back(pool: NamespacePool, work: list[LinkWork]) -> None:
    """item.after for every link: as found when unchanged, else as the kernel reports it now."""
    for item in work:
        if not item.plan.changed:
            item.after = item.before
            continue
        if item.desired.state == "absent":
            continue
        after = pool.macvlans(item.desired.netns).get(item.desired.name)
        failure = _problem(pool, item, after)
        if failure is not None:
            raise labelled(item.label, _undo(pool, item, after, failure))
        item.after = after.copy()
        pool.name_lower_device(item.after, pool.placement(item.desired.netns, item.parent_netns), item.parent)
