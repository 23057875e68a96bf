# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carry out a planner's actions through the backend, leaving no half-built link behind.

Kept apart from the planner (pure) and the backend (single kernel calls): this is the
only place that knows how actions map to backend calls and how to roll back.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import Netlink, NetlinkError, errno_name
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner import Plan, creation_actions, creation_spec_of

# Why the kernel said no, in words a user can act on.
ERRNO_HINTS = {
    errno.EBUSY: "the device is busy",
    errno.EADDRINUSE: "the MAC address is already in use on the parent (by the parent itself or another macvlan)",
    errno.EOPNOTSUPP: "the running kernel has no macvlan/macvtap support (module not built or not loadable)",
    errno.EEXIST: "it already exists",
    errno.ENETUNREACH: "the gateway is not reachable through this link (does it have an address in that subnet?)",
    errno.ENETDOWN: "the link is down (routes through a gateway need an up link)",
    errno.ERANGE: "the value is out of the range the kernel accepts",
    errno.EPERM: "permission denied (root or CAP_NET_ADMIN is needed)",
}


PASSTHRU_BUSY = "the parent is busy: a passthru link needs the parent to itself, and it already has macvlans or a passthru link"


def explain(exc: NetlinkError, op: str = "", args: dict | None = None) -> str:
    code = getattr(exc, "code", 0)
    if op == "create" and (args or {}).get("mode") == "passthru" and code in (errno.EINVAL, errno.EBUSY):
        # The kernel says EINVAL when the parent already has macvlans, EBUSY for a second passthru.
        return f"{PASSTHRU_BUSY} [{errno_name(exc)}]"
    hint = ERRNO_HINTS.get(code)
    return f"{hint} [{errno_name(exc)}]" if hint else f"the kernel refused: {errno_name(exc)}"


def describe_action(op: str, args: dict, name: str) -> str:
    if op == "create":
        return f"creating {args['kind']} {name} (mode {args['mode']}) on parent {args.get('parent')}"
    if op == "delete":
        return f"deleting {name}"
    if op == "set_info_data":
        return f"setting {', '.join(f'{k}={v}' for k, v in args['changes'].items())} on {name}"
    if op == "set_source_macs":
        return f"setting source_macs on {name}"
    if op == "set_link":
        return f"setting {', '.join(f'{k}={v}' for k, v in args.items())} on {name}"
    if op in ("add_address", "del_address"):
        return f"{'adding' if op == 'add_address' else 'removing'} address {args['cidr']} on {name}"
    route = args["route"]
    via = f" via {route['gateway']}" if route.get("gateway") else ""
    return f"{'adding' if op == 'add_route' else 'removing'} route {route['dst']}{via} on {name}"


class LinkApplier:
    """Applies one plan to one link in one namespace.

    `create` may be replaced (macvlan_netns creates on the parent's side and moves the
    link); it returns the new link's ifindex in this namespace."""

    def __init__(self, nl: Netlink, name: str, kind: str, ifindex: int | None, create: Callable[[dict], int] | None = None):
        self.nl = nl
        self.name = name
        self.kind = kind
        self.ifindex = ifindex
        self.create = create or nl.create_macvlan

    def _step(self, op: str, args: dict) -> None:
        try:
            self._call(op, args)
        except NetlinkError as exc:
            # Removing an address also flushes routes through it: already gone is done.
            if op in ("del_route", "del_address") and exc.code in (errno.ESRCH, errno.EADDRNOTAVAIL):
                return
            raise

    def _call(self, op: str, args: dict) -> None:
        nl = self.nl
        if op == "create":
            self.ifindex = self.create(args)
            self.kind = args["kind"]
        elif op == "delete":
            nl.delete_link(args["ifindex"])
            self.ifindex = None
        elif op == "set_info_data":
            nl.set_info_data(self.ifindex, self.kind, args["changes"])
        elif op == "set_source_macs":
            nl.set_source_macs(self.ifindex, self.kind, args["macs"])
        elif op == "set_link":
            nl.set_link(self.ifindex, **args)
        elif op == "add_address":
            nl.add_address(self.ifindex, args["cidr"])
        elif op == "del_address":
            nl.del_address(self.ifindex, args["cidr"])
        elif op == "add_route":
            nl.add_route(self.ifindex, args["route"])
        elif op == "del_route":
            nl.del_route(self.ifindex, args["route"])
        else:  # pragma: no cover - the planner emits only the operations above
            raise ValueError(op)

    def apply(self, plan: Plan, replaced: dict | None = None) -> None:
        """Run the actions in order. If this run created the link and a later step fails,
        delete it again; if it had deleted a link to re-create it, put the old one back."""
        touched = False  # created a link, or deleted the one being replaced
        try:
            for op, args in plan.actions:
                try:
                    self._step(op, args)
                except NetlinkError as exc:
                    raise MacvlanError(f"{describe_action(op, args, self.name)} in {self.nl.where}: {explain(exc, op, args)}") from exc
                touched = touched or op in ("create", "delete")
        except MacvlanError as failure:
            if touched:
                self._rollback(failure, replaced)
            raise

    def _rollback(self, failure: MacvlanError, replaced: dict | None) -> None:
        if self.ifindex is not None:
            try:
                self.nl.delete_link(self.ifindex)
            except NetlinkError:
                pass
            self.ifindex = None
        if replaced is None:
            return
        # A re-creation failed half way: restore the link as it was before this run.
        try:
            for op, args in creation_actions(creation_spec_of(replaced)):
                self._step(op, args)
        except NetlinkError as exc:
            failure.args = (f"{failure.args[0]}; restoring the previous link also failed: {explain(exc)}",)
