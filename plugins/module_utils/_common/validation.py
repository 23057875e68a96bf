# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate and normalise user input before anything touches the kernel (pure)."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError

IFNAMSIZ = 16  # the kernel's limit includes the trailing NUL: 15 usable bytes
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def validate_ifname(name: str, where: str, option: str = "name") -> str:
    """Reject names the kernel would refuse (dev_valid_name) with a readable message."""
    if not name:
        raise MacvlanError(f"{option}: an interface name must not be empty (in {where})")
    size = len(name.encode("utf-8"))
    if size >= IFNAMSIZ:
        raise MacvlanError(
            f"{option}={name!r}: an interface name is at most {IFNAMSIZ - 1} bytes, this one has {size} (in {where})"
        )
    if name in (".", ".."):
        raise MacvlanError(f"{option}={name!r}: '.' and '..' are not interface names (in {where})")
    if any(c == "/" or c == ":" or c.isspace() for c in name):
        raise MacvlanError(
            f"{option}={name!r}: an interface name must not contain '/', ':' or whitespace (in {where})"
        )
    return name


def normalize_mac(value: str, option: str = "mac_address") -> str:
    """Lower-case, colon-separated; accepts '-' separators. Rejects multicast and all-zero."""
    mac = value.strip().lower().replace("-", ":")
    if not _MAC_RE.match(mac):
        raise MacvlanError(f"{option}={value!r}: not a MAC address (expected six hex bytes like 02:42:ac:11:00:02)")
    first = int(mac[:2], 16)
    if first & 0x01:
        raise MacvlanError(f"{option}={value!r}: a multicast MAC address cannot be a link's address")
    if mac == "00:00:00:00:00:00":
        raise MacvlanError(f"{option}={value!r}: the all-zero MAC address is not a valid link address")
    return mac


def normalize_cidr(value: str, option: str = "addresses") -> str:
    """Canonical 'address/prefix' form; a bare address gets a host prefix."""
    try:
        iface = ipaddress.ip_interface(str(value).strip())
    except ValueError:
        raise MacvlanError(f"{option}: {value!r} is not an IP address with prefix (like 192.0.2.10/24 or 2001:db8::10/64)")
    return f"{iface.ip.compressed}/{iface.network.prefixlen}"


def normalize_addresses(values: list[str] | None, option: str = "addresses") -> list[str] | None:
    if values is None:
        return None
    result = sorted({normalize_cidr(v, option) for v in values}, key=_address_sort_key)
    return result


def _address_sort_key(cidr: str) -> tuple[int, int, int]:
    iface = ipaddress.ip_interface(cidr)
    return (iface.version, int(iface.ip), iface.network.prefixlen)


def normalize_route(route: dict, option: str = "routes") -> dict:
    """A route as {dst, gateway, metric}: dst is a network CIDR or 'default' (IPv4 or IPv6 by gateway)."""
    if not isinstance(route, dict) or "dst" not in route:
        raise MacvlanError(f"{option}: each route needs a 'dst' (a CIDR or 'default'), got {route!r}")
    unknown = set(route) - {"dst", "gateway", "metric"}
    if unknown:
        raise MacvlanError(f"{option}: unknown route keys {sorted(unknown)} in {route!r}; use dst, gateway, metric")
    gateway = route.get("gateway")
    gw = None
    if gateway not in (None, ""):
        try:
            gw = ipaddress.ip_address(str(gateway).strip())
        except ValueError:
            raise MacvlanError(f"{option}: gateway {gateway!r} of route {route['dst']!r} is not an IP address")
    dst = str(route["dst"]).strip()
    if dst == "default":
        version = gw.version if gw else 4
        dst = "0.0.0.0/0" if version == 4 else "::/0"
    try:
        net = ipaddress.ip_network(dst, strict=False)
    except ValueError:
        raise MacvlanError(f"{option}: dst {route['dst']!r} is not a network (like 10.0.0.0/24) or 'default'")
    if gw and gw.version != net.version:
        raise MacvlanError(f"{option}: gateway {gateway} and dst {route['dst']} are different IP versions")
    metric = route.get("metric")
    if metric is not None:
        try:
            metric = int(metric)
        except (TypeError, ValueError):
            raise MacvlanError(f"{option}: metric {metric!r} of route {route['dst']!r} is not an integer")
        if metric < 0 or metric > 0xFFFFFFFF:
            raise MacvlanError(f"{option}: metric {metric} of route {route['dst']!r} is out of range")
    return {"dst": net.compressed, "gateway": gw.compressed if gw else None, "metric": metric}


def route_key(route: dict) -> tuple:
    """Routes are compared by destination, gateway and metric; an unset metric means the kernel default."""
    metric = route.get("metric")
    if metric is None:
        metric = 1024 if ":" in route["dst"] else 0
    return (route["dst"], route.get("gateway") or "", metric)


def normalize_routes(values: list[dict] | None, option: str = "routes") -> list[dict] | None:
    if values is None:
        return None
    seen: dict[tuple, dict] = {}
    for value in values:
        route = normalize_route(value, option)
        if route["metric"] is None:
            route["metric"] = route_key(route)[2]
        seen[route_key(route)] = route
    return [seen[k] for k in sorted(seen)]
