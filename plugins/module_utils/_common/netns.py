# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation and naming of network namespace targets (no pyroute2; I/O only on namespace files)."""

from __future__ import annotations

import os

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import CURRENT_NETNS_FILE, NETNS_RUN_DIR
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError


def validate_netns(value: str | None, option: str = "netns") -> str | None:
    """Return the namespace target unchanged if it is well formed.

    A target is None (the namespace Ansible runs in), a name under /run/netns, or an
    absolute path to a namespace file (/proc/PID/ns/net, /run/docker/netns/ID).
    Names never contain '/' so they cannot escape /run/netns.
    """
    if value is None:
        return None
    if not isinstance(value, str) or value == "":
        raise MacvlanError(f"{option}: the namespace name must not be empty")
    if value.startswith("/"):
        parts = value.split("/")
        if ".." in parts:
            raise MacvlanError(f"{option}={value!r}: a namespace path must not contain '..'")
        return value
    if "/" in value or value in (".", ".."):
        raise MacvlanError(
            f"{option}={value!r}: a namespace name must not contain '/' or be '.' or '..'; "
            "give a name under /run/netns or an absolute path to a namespace file"
        )
    if "\0" in value or any(c.isspace() for c in value):
        raise MacvlanError(f"{option}={value!r}: a namespace name must not contain whitespace or NUL")
    return value


def netns_path(value: str | None) -> str | None:
    """The file behind a namespace target (None for the current namespace)."""
    if value is None:
        return None
    return value if value.startswith("/") else os.path.join(NETNS_RUN_DIR, value)


def netns_file(value: str | None) -> str:
    """The file to open for a namespace target, the current namespace included."""
    return CURRENT_NETNS_FILE if value is None else netns_path(value)


def netns_exists(value: str | None) -> bool:
    return os.path.exists(netns_file(value))


def is_named(value: str | None) -> bool:
    """A name under /run/netns (which create_netns may create), not a path or the current namespace."""
    return value is not None and not value.startswith("/")


def netns_identity(value: str | None) -> tuple[int, int] | None:
    """(st_dev, st_ino) of a namespace target or namespace file: two spellings of one namespace (a name
    and /proc/PID/ns/net) have one identity. None when it cannot be opened (it does not exist)."""
    try:
        stat = os.stat(netns_file(value))
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def same_netns(first: str | None, second: str | None) -> bool:
    return first == second or netns_identity(first) is not None and netns_identity(first) == netns_identity(second)


def missing_netns_error(value: str | None, option: str | None = None) -> MacvlanError:
    """The one wording for a namespace that does not exist: never created implicitly."""
    where = f"{option}: {describe_netns(value)}" if option else describe_netns(value)
    return MacvlanError(f"{where} does not exist (namespaces are never created implicitly)")


def describe_netns(value: str | None) -> str:
    """How error messages name a namespace."""
    if value is None:
        return "the current namespace"
    if value.startswith("/"):
        return f"namespace file {value}"
    return f"namespace {value!r}"


def pid_netns(pid: int) -> str:
    """The namespace file of a process, validated to exist."""
    if pid <= 0:
        raise MacvlanError(f"pid={pid}: a process id must be a positive integer")
    path = f"/proc/{pid}/ns/net"
    if not os.path.exists(path):
        raise MacvlanError(f"pid={pid}: no such process, so there is no namespace to use")
    return path
