# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read every namespace macvlan_info needs, through the backend, and hand the views to
the pure assembly in _inventory.

Namespaces come and go while we list them (containers stop). Each one is pinned by an
open file descriptor the moment it is found and read through that descriptor from then
on, so a namespace deleted mid-run is still read consistently; one that is already gone
when we get to it, or that is not a namespace at all, is skipped with a warning. Only the
namespace the user named in `netns` must exist: its absence is an error.
"""

from __future__ import annotations

import dataclasses
import os

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import DEFAULT_TAP_DIR, MACVLAN_KINDS, NETNS_RUN_DIR
from ansible_collections.linuxnet.macvlan.plugins.module_utils._devices.link_devices import observe_link_devices
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.host_facts import nic_facts
from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.inventory import (
    info_link_result,
    parent_usage,
    parent_result,
    parents_of,
    resolve_parents,
    select_links,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, netns_file


def named_netns(run_dir: str = NETNS_RUN_DIR) -> list[str]:
    """Names under /run/netns, as `ip netns list` shows them."""
    try:
        return sorted(entry for entry in os.listdir(run_dir) if not entry.startswith("."))
    except OSError:
        return []


def process_netns(proc: str = "/proc") -> list[str]:
    """/proc/PID/ns/net of every process whose namespace is not already known by another of its
    processes (found once each by the namespace's inode): Docker and Podman keep theirs elsewhere
    than /run/netns. A process that exits meanwhile is simply not listed."""
    seen, result = set(), []
    try:
        pids = sorted((int(entry) for entry in os.listdir(proc) if entry.isdigit()))
    except OSError:
        return []
    for pid in pids:
        path = f"{proc}/{pid}/ns/net"
        try:
            stat = os.stat(path)
        except OSError:
            continue
        if (stat.st_dev, stat.st_ino) not in seen:
            seen.add((stat.st_dev, stat.st_ino))
            result.append(path)
    return result


def _identity(path: str):
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__


class NamespaceScan:
    """One pinned descriptor and one Netlink socket per namespace for the whole run."""

    def __init__(self) -> None:
        self.pins: dict = {}  # label -> fd
        self.sockets: dict = {}  # label -> Netlink
        self.identities: set = set()
        self.identity_of: dict = {}  # label -> (st_dev, st_ino) of its namespace
        self.warnings: list[str] = []

    def _pin_path(self, label: str | None) -> str:
        return f"/proc/self/fd/{self.pins[label]}"

    def add(self, label: str | None, required: bool = False) -> None:
        """Pin and open a namespace; skip one that vanished, or is another label's namespace.

        Opening or reading a namespace that vanished or is not a namespace raises
        MacvlanError (the backend's KernelRefusal among them) or OSError; pyroute2 opens it in a forked child, which
        reports some failures as RuntimeError."""
        if label in self.sockets:
            return
        if required:
            nl = Netlink(label)  # a missing namespace the user named: Netlink's own clear error
            try:
                fd = os.open(netns_file(label), os.O_RDONLY)
            except OSError as exc:
                nl.close()
                raise MacvlanError(f"{describe_netns(label)} vanished while it was being opened: {_reason(exc)}") from exc
        else:
            try:
                fd = os.open(netns_file(label), os.O_RDONLY)
            except OSError as exc:
                self.warnings.append(f"{describe_netns(label)} vanished while namespaces were listed; skipped ({_reason(exc)})")
                return
            nl = None
        stat = os.fstat(fd)
        identity = (stat.st_dev, stat.st_ino)
        if identity in self.identities:
            # The same namespace under a second label (e.g. a name for the current one).
            os.close(fd)
            if nl is not None:
                nl.close()
            return
        if nl is None:
            try:
                nl = Netlink(None) if label is None else Netlink(f"/proc/self/fd/{fd}")
            except (MacvlanError, OSError, RuntimeError) as exc:
                os.close(fd)
                self.warnings.append(f"{describe_netns(label)} could not be opened (not a namespace, or gone); skipped ({_reason(exc)})")
                return
        self.identities.add(identity)
        self.identity_of[label] = identity
        self.pins[label] = fd
        self.sockets[label] = nl

    def read_view(self, label: str | None, required: bool) -> dict | None:
        try:
            # The pure assembly in _inventory works on plain dicts.
            links = [dataclasses.asdict(link) for link in self.sockets[label].dump_links(with_ip=False)]
        except (MacvlanError, OSError, RuntimeError) as exc:
            if required:
                raise MacvlanError(f"reading the links of {describe_netns(label)}: {_reason(exc)}") from exc
            self.warnings.append(f"{describe_netns(label)} could not be read; skipped ({_reason(exc)})")
            return None
        return {"netns": label, "links": links, "peer_nsids": {}}

    def peer_nsids(self, label: str | None, others: list) -> dict:
        """The ids under which namespace `label` knows each of `others` (through their pins)."""
        result = {}
        for other in others:
            if other == label:
                continue
            try:
                nsid = self.sockets[label].peer_nsid(self._pin_path(other))
            except (MacvlanError, OSError, RuntimeError):
                nsid = None
            if nsid is not None:
                result[other] = nsid
        return result

    def nic_facts(self, label: str | None, state: dict, root: str) -> dict:
        try:
            bus, device = self.sockets[label].bus_device(state["ifindex"])
        except (MacvlanError, OSError, RuntimeError):
            bus, device = None, None
        return nic_facts(root, state["name"], state["ifindex"], state.get("mac_address"), state.get("kind"), bus, device)

    def close(self) -> None:
        for nl in self.sockets.values():
            nl.close()
        for fd in self.pins.values():
            os.close(fd)
        self.sockets.clear()
        self.pins.clear()


def collect_inventory(
    netns: str | None = None,
    all_netns: bool = False,
    name: str | None = None,
    parent: str | None = None,
    run_dir: str = NETNS_RUN_DIR,
    root: str = "/",
    containers: list | None = None,
    tap_dir: str = DEFAULT_TAP_DIR,
) -> dict:
    """{"links", "parents", "namespaces", "warnings"} as macvlan_info returns them.

    Links are listed in `netns` (default: the current namespace), or with `all_netns` in
    the current namespace, every one under `run_dir` and every process's. Parents are looked up, and
    macvlans counted, across the current namespace and every named one in any case. `containers`
    (from _containers) name the links in their namespaces; a macvtap's node may be one under `tap_dir`."""
    scan = NamespaceScan()
    try:
        scope_label = None if all_netns else netns
        scan.add(scope_label, required=True)
        for label in [None, *named_netns(run_dir)]:
            scan.add(label)
        if all_netns:
            # A container's own pid labels its namespace; other processes' namespaces come after.
            for label in [c.netns for c in containers or []] + process_netns():
                if _identity(label) not in scan.identities:
                    scan.add(label)
        by_identity = {}
        for container in containers or []:
            identity = _identity(container.netns)
            if identity is not None:
                by_identity[identity] = container
        scope = list(scan.sockets) if all_netns else [scope_label]

        views = []
        for label in list(scan.sockets):
            view = scan.read_view(label, required=label in scope and not all_netns)
            if view is not None:
                views.append(view)
        labels = [view["netns"] for view in views]
        for view in views:
            if any(s.get("parent_netnsid") is not None and s.get("kind") in MACVLAN_KINDS for s in view["links"]):
                view["peer_nsids"] = scan.peer_nsids(view["netns"], labels)

        resolved = resolve_parents(views)
        usage = parent_usage(views, resolved)
        selected = select_links(views, resolved, scope, name=name, parent=parent)
        links = []
        for label, state, where in selected:
            nl = scan.sockets[label]
            state["addresses"], state["dynamic_addresses"] = nl.read_addresses(state["ifindex"])
            state["routes"] = nl.read_routes(state["ifindex"])
            state.update(observe_link_devices(label, state, tap_dir))
            entry = info_link_result(label, state, where)
            container = by_identity.get(scan.identity_of.get(label))
            if container is not None:
                entry["container"] = container.result()
            links.append(entry)
        parents = [
            parent_result(label, state, usage.get((label, state["ifindex"]), {}), scan.nic_facts(label, state, root))
            for label, state in parents_of(selected)
        ]
        return {
            "links": links,
            "parents": parents,
            "namespaces": [label for label in labels if label in scope],
            "warnings": scan.warnings,
        }
    finally:
        scan.close()
