# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan_links' options: the argument spec (data) and the validation of every `config`
entry into a LinkEntry before anything touches the kernel (pure, but for stat)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ansible_collections.linuxnet.macvlan.plugins.module_utils._containers.engines import container_where, find_container
from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.request import DhcpRequest, dhcp_request
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import ENGINE_OPTION
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_options import (
    LINK_ARGUMENT_SPEC,
    container_identity,
    container_mac_identity,
    desired_link,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import (
    describe_netns,
    missing_netns_error,
    netns_exists,
    netns_identity,
    same_netns,
    validate_netns,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.validation import validate_ifname

STATES = ("merged", "replaced", "overridden", "deleted", "gathered")

ENTRY_SPEC: dict = {key: dict(spec) for key, spec in LINK_ARGUMENT_SPEC.items() if key != "state"}
ENTRY_SPEC["name"] = {"type": "str"}  # optional: a deleted/gathered entry may name only a parent
ENTRY_SPEC["netns"] = {"type": "str"}
ENTRY_SPEC["parent_netns"] = {"type": "str"}
ENTRY_SPEC["container"] = {"type": "str"}
ENTRY_SPEC["container_engine"] = ENGINE_OPTION

LINKS_ARGUMENT_SPEC: dict = {
    "config": {"type": "list", "elements": "dict", "options": ENTRY_SPEC},
    "state": {"type": "str", "default": "merged", "choices": list(STATES)},
    # Defaults for the entries that name no namespace; also what module_defaults for the action
    # group gives every module of the collection.
    "netns": {"type": "str"},
    "parent_netns": {"type": "str"},
}


@dataclass(frozen=True)
class LinkEntry:
    """One validated `config` entry."""

    index: int
    label: str  # how messages name the entry: "config[3] (mv0 in namespace 'c1')"
    netns: str | None
    parent: str | None
    parent_netns: str | None
    desired: DesiredLink | None  # None: an entry that names no link (every macvlan on `parent`)
    dhcp: DhcpRequest | None = None  # the entry's DHCP client (None: don't care)


def _label(index: int, name: str | None, netns: str | None) -> str:
    what = f"{name} in {describe_netns(netns)}" if name else f"links in {describe_netns(netns)}"
    return f"config[{index}] ({what})"


def _namespaces(raw: dict, checked: dict) -> tuple[str | None, str | None, bool]:
    """(netns, parent_netns, whether they are one namespace), validated and existing; each pair is
    checked once per run (a thousand entries usually name one or two namespaces)."""
    key = (raw.get("netns"), raw.get("parent_netns"))
    if key not in checked:
        netns = validate_netns(key[0])
        parent_netns = validate_netns(key[1], option="parent_netns")
        for option, value in (("netns", netns), ("parent_netns", parent_netns)):
            if not netns_exists(value):
                raise missing_netns_error(value, option)
        checked[key] = (netns, parent_netns, same_netns(netns, parent_netns))
    return checked[key]


def _entry(index: int, raw: dict, state: str, checked: dict) -> LinkEntry:
    container = None
    if raw.get("container") is not None:
        if raw.get("netns") is not None:
            raise MacvlanError("netns and container: give one of them, not both")
        container = find_container(raw["container"], raw.get("container_engine") or "auto")
        raw = dict(raw, netns=container.netns)
    netns, parent_netns, shared = _namespaces(raw, checked)
    name = raw.get("name")
    label = _label(index, name, netns)
    # A link in another namespace than its parent is a container's: its lease brings the default route.
    dhcp = dhcp_request(raw, state != "deleted", default_route=not shared)
    if dhcp is not None and container is not None:
        dhcp = dataclasses.replace(dhcp, owner=container.dhcp_owner)
    if name is None:
        if state == "deleted" and raw.get("parent"):
            validate_ifname(raw["parent"], describe_netns(parent_netns), option="parent")
            return LinkEntry(index, label, netns, raw["parent"], parent_netns, None, dhcp)
        if state == "gathered":
            return LinkEntry(index, label, netns, raw.get("parent"), parent_netns, None)
        raise MacvlanError("name: every entry needs a name (only a deleted entry may name just a parent)")
    # A link next to its parent, or in a named namespace, is named by where it lives; a link in a
    # pid's or a path's namespace has no lasting identity: its first address stands in (macvlan_netns).
    identity = "" if netns is None else container_mac_identity(netns, raw.get("addresses"))
    params = dict(raw, state="absent" if state == "deleted" else "present")
    if container is not None:
        desired = desired_link(params, netns, mac_identity=container_identity(container.name),
                               where=container_where(container), engine_owned=container.owned_macs())
    else:
        desired = desired_link(params, netns, mac_identity=identity)
    if state in ("replaced", "overridden"):
        desired = dataclasses.replace(desired, exact=True)
    return LinkEntry(index, label, netns, raw.get("parent"), parent_netns, desired, dhcp)


def with_namespace_defaults(raw: dict, netns: str | None, parent_netns: str | None) -> dict:
    """An entry that names no namespace lives in `netns`, with its parent in `parent_netns`, else next
    to it (as in macvlan_link). A container entry is placed by its engine; its parent follows `parent_netns`."""
    inherited = raw.get("netns") is None and raw.get("container") is None and netns is not None
    if inherited:
        raw = dict(raw, netns=netns)
    if raw.get("parent_netns") is None:
        if parent_netns is not None:
            raw = dict(raw, parent_netns=parent_netns)
        elif inherited:
            raw = dict(raw, parent_netns=netns)
    return raw


def entries_from_params(config: list[dict] | None, state: str, netns: str | None = None, parent_netns: str | None = None) -> list[LinkEntry]:
    """Every entry validated, or a MacvlanError naming the first bad one by index and name.

    netns/parent_netns: the module's top-level defaults for entries that name no namespace."""
    entries = []
    checked: dict = {}
    seen: dict[tuple, str] = {}
    if not config and state == "gathered" and netns is not None:
        config = [{}]  # gather the default namespace
    for index, raw in enumerate(config or []):
        raw = with_namespace_defaults(raw, netns, parent_netns)
        try:
            entry = _entry(index, raw, state, checked)
        except MacvlanError as exc:
            raise MacvlanError(f"{_label(index, raw.get('name'), raw.get('netns'))}: {exc}") from exc
        if entry.desired is not None:
            key = (netns_identity(entry.netns) or entry.netns, entry.desired.name)
            if key in seen:
                raise MacvlanError(f"{entry.label}: the same link is already listed as {seen[key]}; list each link once")
            seen[key] = entry.label
        entries.append(entry)
    if not entries and state in ("merged", "replaced", "overridden", "deleted"):
        raise MacvlanError(f"config: state={state} needs at least one entry")
    return entries
