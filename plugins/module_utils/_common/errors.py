# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's error types and the one wording for kernel refusals (pure).

The backend turns every pyroute2 NetlinkError into a KernelRefusal the moment it is raised,
so nothing above the backend knows pyroute2's exceptions; modules catch MacvlanError only.
"""

from __future__ import annotations

import errno


class MacvlanError(Exception):
    """A failure the user can act on.

    The message is complete: it names the input, the object and the namespace, so
    modules pass it to fail_json unchanged and never add a traceback.
    """


class ConcurrentChange(MacvlanError):
    """A step found the kernel changed since the link was read: the link appeared (EEXIST on create)
    or vanished (ENODEV). The reconcile step reads again and converges once more."""


# A create answered EEXIST, or any request answered ENODEV: someone else changed the link between
# our read and our write (another run converging the same link, a user, a container engine).
RACE_CODES = (errno.EEXIST, errno.ENODEV)

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
# The kernel says EINVAL when the parent already has macvlans, EBUSY for a second passthru.
PASSTHRU_REFUSALS = (errno.EINVAL, errno.EBUSY)


class KernelRefusal(MacvlanError):
    """The kernel answered a netlink request with an error.

    `request` says what was asked ("link set", "route add"), `where` in which namespace;
    callers that know the object and the intent add them with `reason()`."""

    def __init__(self, code: int, detail: str, request: str = "", where: str = ""):
        self.code = code
        self.detail = detail
        self.request = request
        self.where = where
        super().__init__(f"{request} in {where}: {self.reason()}" if request else self.reason())

    @property
    def errno_name(self) -> str:
        return f"{errno.errorcode.get(self.code, self.code)} ({self.detail})"

    def reason(self, creating_passthru: bool = False) -> str:
        """What went wrong, with the errno for searching: '<hint> [EBUSY (...)]'."""
        if creating_passthru and self.code in PASSTHRU_REFUSALS:
            return f"{PASSTHRU_BUSY} [{self.errno_name}]"
        hint = ERRNO_HINTS.get(self.code)
        return f"{hint} [{self.errno_name}]" if hint else f"the kernel refused: {self.errno_name}"
