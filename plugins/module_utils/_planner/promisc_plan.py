# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan and describe macvlan_promisc (pure).

The promiscuous *flag* (IFF_PROMISC as set by `ip link set X promisc on`) is what the
user owns. The kernel's promiscuity *counter* also counts holders that never touch the
flag (packet sockets with PACKET_MR_PROMISC, a bridge over the port, a macvlan on a NIC
without unicast filtering, tcpdump): it is reported, never judged, never cleared.
Toggling the flag moves the counter by exactly one, which makes check mode exact."""

from __future__ import annotations

import dataclasses

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import ObservedLink

PROMISC_FIELDS = ("name", "netns", "promisc", "allmulticast", "promiscuity")


def promisc_result(state: ObservedLink | None, netns: str | None) -> dict:
    """The returned end state and each side of the diff; {} for a missing interface."""
    if not state:
        return {}
    result = {field: getattr(state, field, None) for field in PROMISC_FIELDS}
    result["netns"] = netns
    return result


def plan_promisc(observed: ObservedLink, promisc: bool, allmulticast: bool | None) -> tuple[dict, ObservedLink]:
    """(changes for the backend's set_link, predicted end state). allmulticast None: don't care."""
    changes: dict = {}
    if observed.promisc != promisc:
        changes["promisc"] = promisc
    if allmulticast is not None and observed.allmulticast != allmulticast:
        changes["allmulticast"] = allmulticast
    predicted = dataclasses.replace(observed, **changes)
    if "promisc" in changes and observed.promiscuity is not None:
        predicted.promiscuity = max(0, observed.promiscuity + (1 if promisc else -1))
    return changes, predicted


def mismatches(wanted: dict, observed: ObservedLink) -> list[str]:
    """Requested flags the kernel did not take (read back after writing)."""
    return [
        f"{key}: wanted {value}, kernel reports {getattr(observed, key)}" for key, value in wanted.items() if getattr(observed, key) != value
    ]
