# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netlink backend: one socket in one namespace, and the namespaces themselves.

With _netlink_read.py, _netlink_write.py and _pyroute2.py it is the only code that imports
pyroute2. It is also the one error boundary: every NetlinkError becomes a KernelRefusal here.
"""

from __future__ import annotations

import errno
import types

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import KernelRefusal, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.bulk import RawLinks
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.reader import LinkReader
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.writer import LinkWriter
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, netns_exists
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import IPRoute, NetlinkError


def refusal(exc: NetlinkError, request: str, where: str) -> KernelRefusal:
    """The collection's error for a pyroute2 one (args are (code, message) when the kernel answered)."""
    detail = exc.args[1] if len(exc.args) > 1 else str(exc)
    return KernelRefusal(getattr(exc, "code", 0), str(detail), request, where)


class CheckedSocket:
    """An IPRoute whose requests raise KernelRefusal instead of NetlinkError."""

    def __init__(self, ipr, where: str):
        self._ipr = ipr
        self._where = where

    def __getattr__(self, method: str):
        call = getattr(self._ipr, method)

        def checked(*args, **kwargs):
            try:
                result = call(*args, **kwargs)
                # Dumps may be generators: consume them here, where their errors are translated.
                return list(result) if isinstance(result, types.GeneratorType) else result
            except NetlinkError as exc:
                request = f"{method} {args[0]}" if args and isinstance(args[0], str) else method
                raise refusal(exc, request, self._where) from exc

        return checked


class Netlink(LinkReader, LinkWriter):
    """One rtnetlink socket in one namespace, reused for every call of a module run."""

    def __init__(self, netns: str | None = None):
        self.netns = netns
        self.where = describe_netns(netns)
        if not netns_exists(netns):
            raise MacvlanError(f"{self.where} does not exist (namespaces are never created implicitly)")
        # flags=0: never create a missing namespace as a side effect (pyroute2's default would).
        kw = {"netns": netns, "flags": 0} if netns is not None else {}
        try:
            # Strict checking (Linux 4.20+) lets the kernel filter address and route dumps
            # by link: with a thousand macvlans that is one message instead of thousands.
            ipr = IPRoute(strict_check=True, **kw)
            self.strict = True
        except OSError as exc:
            if exc.errno not in (errno.ENOPROTOOPT, errno.EINVAL):
                raise MacvlanError(f"cannot open {self.where}: {exc.strerror or exc}") from exc
            ipr = IPRoute(**kw)
            self.strict = False
        self.rt = CheckedSocket(ipr, self.where)
        self._raw: RawLinks | None = None

    def raw(self) -> RawLinks:
        """Bulk requests on this socket's namespace, opened on first use."""
        if self._raw is None:
            self._raw = RawLinks(self.rt.fileno(), self.where)
        return self._raw

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
        self.rt.close()

    def __enter__(self) -> Netlink:
        return self

    def __exit__(self, *_exc_info) -> None:
        self.close()


def create_named_netns(name: str) -> None:
    """Create /run/netns/NAME as `ip netns add` does (only when the user asked for it)."""
    from pyroute2.netns import create as create_netns

    try:
        create_netns(name)
    except OSError as exc:
        raise MacvlanError(f"create_netns: cannot create {describe_netns(name)}: {exc.strerror or exc}") from exc


def remove_named_netns(name: str) -> None:
    """Undo create_named_netns (used when the run that created it fails)."""
    from pyroute2.netns import remove as remove_netns

    remove_netns(name)
