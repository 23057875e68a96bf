# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one public shape of a link: it builds the returned `link`, the diff's before/after
and each entry of macvlan_info's `links` (pure)."""

from __future__ import annotations

import copy
import dataclasses

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
    "routes",
    "promisc",
)


def link_result(state, netns: str | None) -> dict:
    """Public shape of a link's state; {} for a link that does not exist.

    `state` is an ObservedLink (read, or the planner's prediction) or its dict form.
    `netns` is the namespace as the user named it (None for the current one)."""
    if not state:
        return {}
    data = dataclasses.asdict(state) if dataclasses.is_dataclass(state) else state
    result = {field: copy.deepcopy(data.get(field)) for field in LINK_FIELDS}
    result["netns"] = netns
    return result


def link_diff(before, after, netns: str | None) -> dict:
    return {"before": link_result(before, netns), "after": link_result(after, netns)}
