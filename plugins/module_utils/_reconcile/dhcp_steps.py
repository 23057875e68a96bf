# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine's DHCP steps, ordered in this one place for every module: the clients of links that go
(or want none) are stopped before the links are changed; the clients of links that want one are
started after, all of them first, then their leases awaited together (one dhcp_timeout for the run,
not one per link)."""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.clients import DhcpClients, lease_waiter
from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.request import DhcpOutcome
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.plan import LinkWork, labelled


def stop_clients(which, work: list[LinkWork], check_mode: bool) -> dict[int, DhcpOutcome]:
    """Before any change: stop (and release) the clients of links that go or want none, and stop a container's
    client still running in the container's earlier namespace (it keeps the old link, and its MAC, alive)."""
    for item in work:
        if item.dhcp is not None and item.dhcp.enabled:
            DhcpClients(which, item.dhcp).retire_elsewhere(item.desired.netns, item.desired.name, check_mode)
    return {
        index: DhcpClients(which, item.dhcp).stop(item.desired.netns, item.desired.name, check_mode)
        for index, item in enumerate(work)
        if item.dhcp is not None and not item.dhcp.enabled
    }


def start_clients(which, pool: NamespacePool, work: list[LinkWork], check_mode: bool) -> dict[int, DhcpOutcome]:
    """After the links are converged: one client per link that wants one; then wait for the new leases."""
    outcomes, started = {}, []
    for index, item in enumerate(work):
        if item.dhcp is None or not item.dhcp.enabled:
            continue
        if item.desired.netns in pool.to_be_created:  # check mode, in a namespace create_netns would make
            outcomes[index] = DhcpOutcome(True, True)
            continue
        link = item.plan.after if check_mode else item.after
        clients = DhcpClients(which, item.dhcp)
        waiter = lease_waiter(_dynamic_addresses(pool, item))
        try:
            outcome = clients.ensure(item.desired.netns, item.desired.name, link.ifindex if link else None, check_mode, waiter, wait=False)
        except MacvlanError as exc:
            raise labelled(item.label, exc) from exc
        outcomes[index] = outcome
        if outcome.changed and not check_mode:
            started.append((index, item, clients, waiter))
        elif outcome.address is not None and item.after is not None:
            item.after.dynamic_addresses = _dynamic_addresses(pool, item)()
    for index, item, clients, waiter in started:
        try:
            clients.wait(outcomes[index], item.desired.netns, item.desired.name, waiter)
        except MacvlanError as exc:
            raise labelled(item.label, exc) from exc
        if item.after is not None:
            item.after.dynamic_addresses = _dynamic_addresses(pool, item)()
    return outcomes


def _dynamic_addresses(pool: NamespacePool, item: LinkWork):
    def read() -> list[str]:
        link = pool.socket(item.desired.netns).read_link(name=item.desired.name)
        return link.dynamic_addresses if link is not None else []

    return read
