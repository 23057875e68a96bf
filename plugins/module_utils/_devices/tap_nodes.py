# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A macvtap's character device node: the one that IS this device, found by major:minor.

/dev/tap<ifindex> is not a safe name: ifindexes repeat across namespaces, and devtmpfs gives the
name to the first macvtap that took it (the second has no node; deleting the first namespace takes
the node away from the second). So a node is trusted only when its major:minor are the ones in the
link's own sysfs entry, and when /dev/tap<ifindex> is not this device, a node is created under
tap_dir, named after the namespace and the link, and removed with the link. Plain os calls.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import is_named, netns_file


def device_numbers(name: str) -> list[int] | None:
    """[major, minor] of a macvtap's character device, from /sys/class/net/NAME/macvtap/tapN/dev.

    Runs inside the link's namespace (its sysfs); None when the link has no such entry (a macvlan)."""
    base = f"/sys/class/net/{name}/macvtap"
    try:
        entries = sorted(entry for entry in os.listdir(base) if entry.startswith("tap"))
    except FileNotFoundError:
        return None
    if not entries:
        return None
    with open(os.path.join(base, entries[0], "dev"), encoding="ascii") as dev:
        major, minor = dev.read().strip().split(":")
    return [int(major), int(minor)]


def namespace_label(netns: str | None) -> str:
    """The directory a namespace's nodes go in: its name, or for a namespace without one (the current
    namespace, a /proc/PID/ns/net or container path) its inode, which is stable while it lives."""
    if is_named(netns):
        return netns
    return f"netns-{os.stat(netns_file(netns)).st_ino}"


def managed_node_path(tap_dir: str, netns: str | None, name: str) -> str:
    return os.path.join(tap_dir, namespace_label(netns), name)


def _node(path: str, numbers: tuple[int, int], created: bool) -> dict | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISCHR(info.st_mode) or info.st_rdev != os.makedev(*numbers):
        return None
    return {"path": path, "uid": info.st_uid, "gid": info.st_gid, "mode": stat.S_IMODE(info.st_mode), "created": created}


def find_node(ifindex: int, numbers: tuple[int, int], managed_path: str) -> dict | None:
    """The node that is this device: one created earlier under tap_dir, else /dev/tap<ifindex> if it is
    this device; None when neither is (one must be created)."""
    return _node(managed_path, numbers, True) or _node(f"/dev/tap{ifindex}", numbers, False)


def apply_node_actions(actions: list[tuple]) -> None:
    """The planner's node changes: ("create", path, major, minor, mode), ("chown", path, uid, gid), ("chmod", path, mode),
    ("remove", path)."""
    for action in actions:
        op, path = action[0], action[1]
        try:
            if op == "create":
                _major, _minor, mode = action[2:]
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                if os.path.lexists(path):  # a node of a link this name had before: another device now
                    os.unlink(path)
                os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(_major, _minor))
                os.chmod(path, mode)  # mknod's mode passes through the umask
            elif op == "chown":
                os.chown(path, action[2], action[3], follow_symlinks=False)
            elif op == "chmod":
                os.chmod(path, action[2])
            elif op == "remove":
                os.unlink(path)
        except OSError as exc:
            raise MacvlanError(f"tap: cannot {op} device node {path}: {exc.strerror or exc}") from exc


def remove_managed_node(path: str, check_mode: bool) -> bool:
    """Remove a node this module created (and its namespace's directory once empty); True if there was one."""
    if not os.path.lexists(path):
        return False
    if not check_mode:
        try:
            os.unlink(path)
        except OSError as exc:
            raise MacvlanError(f"tap: cannot remove device node {path}: {exc.strerror or exc}") from exc
        try:
            os.rmdir(os.path.dirname(path))
        except OSError:
            pass  # other links' nodes are still in it
    return True


def resolve_id(value, option: str) -> int | None:
    """tap_owner/tap_group: a name or a numeric id, as ids."""
    if value is None:
        return None
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        return pwd.getpwnam(text).pw_uid if option == "tap_owner" else grp.getgrnam(text).gr_gid
    except KeyError:
        kind = "user" if option == "tap_owner" else "group"
        raise MacvlanError(f"{option}={text}: no such {kind} on this host") from None
