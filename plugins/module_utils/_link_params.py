# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by macvlan_link and macvlan_netns: the argument spec (data) and the
translation of module parameters into the planner's normalised `desired` dict (pure)."""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._validation import (
    normalize_addresses,
    normalize_mac,
    normalize_routes,
    validate_ifname,
)

LINK_ARGUMENT_SPEC: dict = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "parent": {"type": "str"},
    "kind": {"type": "str", "default": "macvlan", "choices": ["macvlan", "macvtap"]},
    "mode": {"type": "str", "choices": ["bridge", "vepa", "private", "passthru", "source"]},
    "mac_address": {"type": "str"},
    "mac_address_policy": {"type": "str", "default": "stable", "choices": ["stable", "random"]},
    "mac_address_seed": {"type": "str"},
    "mtu": {"type": "int"},
    "up": {"type": "bool", "default": True},
    "flags": {"type": "list", "elements": "str", "choices": ["nopromisc", "nodst"]},
    "source_macs": {"type": "list", "elements": "str"},
    "bcqueuelen": {"type": "int"},
    "bc_cutoff": {"type": "int"},
    "addresses": {"type": "list", "elements": "str"},
    "routes": {
        "type": "list",
        "elements": "dict",
        "options": {
            "dst": {"type": "str", "required": True},
            "gateway": {"type": "str"},
            "metric": {"type": "int"},
        },
    },
    "recreate": {"type": "str", "default": "never", "choices": ["never", "options-changed", "always"]},
}


def desired_from_params(params: dict, where: str) -> dict:
    """Validate and normalise; None keeps meaning "don't care"."""
    desired = {
        "name": validate_ifname(params["name"], where),
        "state": params["state"],
        "kind": params["kind"],
        "mode": params.get("mode"),
        "mtu": params.get("mtu"),
        "up": params.get("up"),
        "flags": sorted(set(params["flags"])) if params.get("flags") is not None else None,
        "bcqueuelen": params.get("bcqueuelen"),
        "bc_cutoff": params.get("bc_cutoff"),
        "recreate": params["recreate"],
        "mac_address": normalize_mac(params["mac_address"]) if params.get("mac_address") else None,
        "source_macs": None,
        "addresses": normalize_addresses(params.get("addresses")),
        "routes": normalize_routes(params.get("routes")),
    }
    if params.get("parent") is not None:
        validate_ifname(params["parent"], where, option="parent")
    if params.get("source_macs") is not None:
        desired["source_macs"] = sorted({normalize_mac(m, "source_macs") for m in params["source_macs"]})
    if desired["mtu"] is not None and not 68 <= desired["mtu"] <= 65535:
        raise MacvlanError(f"mtu={desired['mtu']}: an Ethernet MTU must be between 68 and 65535 (link {desired['name']} in {where})")
    for option in ("bcqueuelen", "bc_cutoff"):
        value = desired[option]
        if value is not None and not (0 <= value <= 0xFFFFFFFF if option == "bcqueuelen" else -1 <= value <= 0x7FFFFFFF):
            raise MacvlanError(f"{option}={value}: out of range (link {desired['name']} in {where})")
    return desired
