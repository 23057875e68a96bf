# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one "describe link" function: it builds the returned `link`, the diff's
before/after and each entry of macvlan_info's `links` (pure)."""

from __future__ import annotations

import copy

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


def describe_link(state: dict | None, netns: str | None) -> dict:
    """Public shape of a link's state; {} for a link that does not exist.

    `state` is the backend's normalised dict (observed) or the planner's prediction.
    `netns` is the namespace as the user named it (None for the current one)."""
    if not state:
        return {}
    result = {field: copy.deepcopy(state.get(field)) for field in LINK_FIELDS}
    result["netns"] = netns
    return result


def diff_of(before: dict | None, after: dict | None, netns: str | None) -> dict:
    return {"before": describe_link(before, netns), "after": describe_link(after, netns)}
