# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by the link modules: the argument spec (data) and the one translation of
module parameters into the planner's DesiredLink (pure, but for reading /etc/machine-id)."""

from __future__ import annotations

from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.request import DEFAULT_STATE_DIR
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import DEFAULT_TAP_DIR
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, TapWanted
from ansible_collections.linuxnet.macvlan.plugins.module_utils._devices.tap_nodes import resolve_id
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.tap_plan import check_tap_options, parse_tap_mode
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, is_named
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.stable_mac import read_machine_id, stable_mac
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.validation import (
    normalize_addresses,
    normalize_cidr,
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
    "dhcp": {"type": "bool"},
    "dhcp_client": {"type": "str", "default": "auto", "choices": ["auto", "udhcpc", "dhclient"]},
    "dhcp_state_dir": {"type": "path", "default": DEFAULT_STATE_DIR},
    "dhcp_timeout": {"type": "int", "default": 10},
    "dhcp_default_route": {"type": "bool"},
    "tap_dir": {"type": "path", "default": DEFAULT_TAP_DIR},
    "tap_owner": {"type": "str"},
    "tap_group": {"type": "str"},
    "tap_mode": {"type": "raw"},
    "numtxqueues": {"type": "int"},
    "numrxqueues": {"type": "int"},
    "ipv6": {"type": "bool"},
}
# The kernel's bounds for a link's queue count (rtnetlink refuses others).
MAX_QUEUES = 4096


def container_mac_identity(netns: str, addresses: list[str] | None) -> str | None:
    """The namespace part of a stable MAC in macvlan_netns (None: no stable identity, random MAC).

    A named namespace is identified by its name. A pid or a path has no identity that
    survives the container, so the first configured address stands in for it; a CIDR
    always contains '/', which a namespace name never does, so the two cannot collide."""
    if is_named(netns):
        return netns
    if addresses:
        return normalize_cidr(addresses[0])
    return None


def container_identity(name: str) -> str:
    """The namespace part of a container's stable MAC: its name, which survives re-creation (a new
    namespace, a new PID). It contains '/', so it never equals a namespace name, nor parses as a CIDR."""
    return f"container/{name}"


def desired_link(
    params: dict, netns: str | None, mac_identity: str | None, where: str | None = None, engine_owned: tuple = ()
) -> DesiredLink:
    """Validate and normalise the module options into the one DesiredLink of this run.

    None keeps meaning "don't care". mac_identity: the namespace part of the stable MAC
    (None: the namespace has none, so a new link gets a random MAC). where: how messages name
    the namespace (default: describe_netns). engine_owned: (MAC, owner) of a container's engine endpoints."""
    where = where or describe_netns(netns)
    name = validate_ifname(params["name"], where)
    if params.get("parent") is not None:
        validate_ifname(params["parent"], where, option="parent")
    mac_address = normalize_mac(params["mac_address"]) if params.get("mac_address") else None
    source_macs = None
    if params.get("source_macs") is not None:
        source_macs = sorted({normalize_mac(m, "source_macs") for m in params["source_macs"]})
    for option, low, high in (("bcqueuelen", 0, 0xFFFFFFFF), ("bc_cutoff", -1, 0x7FFFFFFF)):
        value = params.get(option)
        if value is not None and not low <= value <= high:
            raise MacvlanError(f"{option}={value}: out of range {low}..{high} (link {name} in {where})")
    for option in ("numtxqueues", "numrxqueues"):
        value = params.get(option)
        if value is not None and not 1 <= value <= MAX_QUEUES:
            raise MacvlanError(f"{option}={value}: out of range 1..{MAX_QUEUES} (link {name} in {where})")
    new_mac = mac_address
    # passthru links take the parent's MAC, so nothing is generated for them.
    if new_mac is None and params["mac_address_policy"] == "stable" and params.get("mode") != "passthru" and mac_identity is not None:
        seed = params.get("mac_address_seed")
        new_mac = stable_mac(read_machine_id() if seed is None else seed, mac_identity, name)
    return DesiredLink(
        name=name,
        netns=netns,
        where=where,
        state=params["state"],
        kind=params["kind"],
        parent=params.get("parent"),
        mode=params.get("mode"),
        mac_address=mac_address,
        new_mac=new_mac,
        mtu=params.get("mtu"),
        up=params.get("up"),
        flags=sorted(set(params["flags"])) if params.get("flags") is not None else None,
        source_macs=source_macs,
        bcqueuelen=params.get("bcqueuelen"),
        bc_cutoff=params.get("bc_cutoff"),
        addresses=normalize_addresses(params.get("addresses")),
        routes=normalize_routes(params.get("routes")),
        recreate=params["recreate"],
        engine_owned=tuple(engine_owned),
        numtxqueues=params.get("numtxqueues"),
        numrxqueues=params.get("numrxqueues"),
        ipv6=params.get("ipv6"),
        tap=tap_wanted(params, name, where),
    )


def tap_wanted(params: dict, name: str, where: str) -> TapWanted | None:
    """A macvtap's device node options (refused on a macvlan); with state=absent, where a node made earlier is."""
    if params["state"] == "absent":
        return TapWanted(directory=params.get("tap_dir") or DEFAULT_TAP_DIR)
    check_tap_options(params, params["kind"], name, where)
    if params["kind"] != "macvtap":
        return None
    return TapWanted(
        directory=params.get("tap_dir") or DEFAULT_TAP_DIR,
        owner=resolve_id(params.get("tap_owner"), "tap_owner"),
        group=resolve_id(params.get("tap_group"), "tap_group"),
        mode=parse_tap_mode(params.get("tap_mode"), name, where),
    )
