# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation and naming of network namespace targets (no pyroute2; I/O only on namespace files)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

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


def same_netns(first: str | None, second: str | None) -> bool:
    a, b = os.stat(netns_file(first)), os.stat(netns_file(second))
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@contextmanager
def open_netns_fd(value: str | None) -> Iterator[int]:
    """A descriptor of the namespace, for creating a link straight inside it."""
    try:
        fd = os.open(netns_file(value), os.O_RDONLY)
    except OSError as exc:
        raise MacvlanError(f"cannot open {describe_netns(value)}: {exc.strerror or exc}") from exc
    try:
        yield fd
    finally:
        os.close(fd)


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
