# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one public shape of a link: it builds the returned `link`, the diff's before/after
and each entry of macvlan_info's `links` (pure)."""

from __future__ import annotations

LINK_FIELDS = (
    "name",
    "ifindex",
    "kind",
    "parent",
    "mode",
    "mac_address",
    "mtu",
    "up",
    "flags",
    "source_macs",
    "bcqueuelen",
    "bc_cutoff",
    "netns",
    "addresses",
    "dynamic_addresses",
    "routes",
    "promisc",
    "numtxqueues",
    "numrxqueues",
    "ipv6",
    "tap",
)


def link_result(state, netns: str | None) -> dict:
    """Public shape of a link's state; {} for a link that does not exist.

    `state` is an ObservedLink (read, or the planner's prediction) or its dict form.
    `netns` is the namespace as the user named it (None for the current one)."""
    if not state:
        return {}
    get = state.get if isinstance(state, dict) else lambda field: getattr(state, field, None)
    result = {field: _copy(get(field)) for field in LINK_FIELDS}
    result["netns"] = netns
    return result


def _copy(value):
    """Lists of strings and of route dicts are all a link holds: copy them, share nothing."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return [dict(item) if isinstance(item, dict) else item for item in value]
    return value
