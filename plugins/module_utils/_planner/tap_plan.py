# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a link's devices need (pure): a macvtap's character device node and the IPv6 sysctls.

The observed side comes from _devices (plain os calls); this file decides the refusals, the
changes in order and the end state that check mode predicts and the result reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import TapWanted

TAP_OPTIONS = ("tap_owner", "tap_group", "tap_mode")
# What devtmpfs gives a new /dev/tapN, and what a node created here gets unless tap_mode says otherwise.
DEFAULT_NODE_MODE = 0o600
# /proc/sys/net/ipv6/conf/NAME/addr_gen_mode: 1 (IN6_ADDR_GEN_MODE_NONE) makes no link-local address.
ADDR_GEN_MODE_NONE = 1
ADDR_GEN_MODE_EUI64 = 0


def check_tap_options(params: dict, kind: str, name: str, where: str) -> None:
    """Refuse device-node options on a link that has no device node, before anything is changed."""
    if kind == "macvtap":
        return
    given = [option for option in TAP_OPTIONS if params.get(option) is not None]
    if given:
        raise MacvlanError(
            f"{', '.join(given)}: only a macvtap has a character device node, and link {name} in {where} is a {kind}; "
            "set kind: macvtap or remove the option"
        )


def parse_tap_mode(value, name: str, where: str) -> int | None:
    """tap_mode as the file module takes it: an octal string ('0660') or an integer (YAML 0660 is already one)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    else:
        text = str(value).strip()
        try:
            mode = int(text, 8)
        except ValueError:
            mode = -1
    if not 0 <= mode <= 0o7777:
        raise MacvlanError(f"tap_mode={value!r}: not an octal permission mode such as '0660' (link {name} in {where})")
    return mode


def format_mode(mode: int | None) -> str | None:
    return None if mode is None else f"{mode:04o}"


@dataclass
class DevicePlan:
    """Changes to a link's devices, in order, and their end state."""

    node_actions: list[tuple] = field(default_factory=list)  # ("create"|"chown"|"chmod", path, ...)
    sysctl_writes: list[tuple[str, int]] = field(default_factory=list)  # (sysctl of the link, value)
    tap: dict | None = None  # the predicted node (the returned `tap`)
    ipv6: bool | None = None

    @property
    def changed(self) -> bool:
        return bool(self.node_actions or self.sysctl_writes)


def node_result(path: str | None, numbers: tuple[int, int] | None, uid, gid, mode: int | None, created: bool) -> dict:
    major, minor = numbers if numbers is not None else (None, None)
    return {"path": path, "major": major, "minor": minor, "uid": uid, "gid": gid, "mode": format_mode(mode), "created": created}


def plan_tap_node(
    wanted: TapWanted, numbers: tuple[int, int] | None, found: dict | None, managed_path: str, plan: DevicePlan, stale: bool = False
) -> None:
    """numbers: the device's major:minor (None: the link does not exist yet, check mode).
    found: the node that is this device ({path, uid, gid, mode, created}), or None: one is created at managed_path.
    stale: a node at managed_path that is another device (made for a link of this name that was re-created)."""
    if stale and found is not None:
        # Its device number may go to another VM's macvtap one day, with this node's owner and mode: remove it.
        plan.node_actions.append(("remove", managed_path))
    if numbers is None:
        # A link still to be created: its ifindex and device numbers are the kernel's to choose.
        plan.tap = node_result(None, None, wanted.owner, wanted.group, wanted.mode, False)
        return
    if found is None:
        mode = wanted.mode if wanted.mode is not None else DEFAULT_NODE_MODE
        plan.node_actions.append(("create", managed_path, numbers[0], numbers[1], mode))
        found = {"path": managed_path, "uid": 0, "gid": 0, "mode": mode, "created": True}
    uid = wanted.owner if wanted.owner is not None else found["uid"]
    gid = wanted.group if wanted.group is not None else found["gid"]
    if (uid, gid) != (found["uid"], found["gid"]):
        plan.node_actions.append(("chown", found["path"], uid, gid))
    mode = wanted.mode if wanted.mode is not None else found["mode"]
    if mode != found["mode"]:
        plan.node_actions.append(("chmod", found["path"], mode))
    plan.tap = node_result(found["path"], numbers, uid, gid, mode, found["created"])


def ipv6_enabled(sysctls: dict | None) -> bool | None:
    """The link answers and autoconfigures IPv6 (None: IPv6 is compiled out or the link has no entry)."""
    if not sysctls:
        return None
    return sysctls["disable_ipv6"] == 0 and sysctls["addr_gen_mode"] != ADDR_GEN_MODE_NONE


def plan_ipv6(wanted: bool | None, sysctls: dict | None, name: str, where: str, plan: DevicePlan) -> None:
    """sysctls: {disable_ipv6, addr_gen_mode, default_addr_gen_mode} of the link, or None without IPv6."""
    plan.ipv6 = ipv6_enabled(sysctls)
    if wanted is None:
        return
    if sysctls is None:
        if wanted:
            raise MacvlanError(f"ipv6: true, but {where} has no IPv6 settings for link {name} (IPv6 disabled in the kernel)")
        plan.ipv6 = False
        return
    if wanted:
        # Back to the namespace's default way of making addresses (EUI-64 when that default is none too).
        if sysctls["addr_gen_mode"] == ADDR_GEN_MODE_NONE:
            default = sysctls["default_addr_gen_mode"]
            plan.sysctl_writes.append(("addr_gen_mode", default if default != ADDR_GEN_MODE_NONE else ADDR_GEN_MODE_EUI64))
        if sysctls["disable_ipv6"] != 0:
            plan.sysctl_writes.append(("disable_ipv6", 0))
    else:
        # No link-local address first, then nothing at all: the order leaves no window with a new address.
        if sysctls["addr_gen_mode"] != ADDR_GEN_MODE_NONE:
            plan.sysctl_writes.append(("addr_gen_mode", ADDR_GEN_MODE_NONE))
        if sysctls["disable_ipv6"] != 1:
            plan.sysctl_writes.append(("disable_ipv6", 1))
    plan.ipv6 = wanted
