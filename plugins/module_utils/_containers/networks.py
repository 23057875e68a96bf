# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container engine's macvlan network, and the host shim derived from it (pure but for `read_network`).

`docker network inspect` and `podman network inspect` are parsed into one EngineNetwork; `derive_shim`
turns it into the shim's parent, routes and addresses, and refuses what would break the host: a shim
address the engine may hand to a container, a network whose mode a bridge-mode shim cannot reach.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field

from ansible_collections.linuxnet.macvlan.plugins.module_utils._containers.engines import ENGINE_LABELS, ENGINES, NotKnown, run_engine, running_containers
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError


@dataclass(frozen=True)
class Subnet:
    subnet: str
    gateway: str | None = None
    ip_range: str | None = None  # Docker's --ip-range (a CIDR)
    lease_start: str | None = None  # Podman's lease range (its --ip-range, last address included)
    lease_end: str | None = None
    aux_addresses: tuple[str, ...] = ()  # Docker's --aux-address values (reserved: never handed out)


@dataclass
class EngineNetwork:
    name: str
    engine: str
    driver: str
    parent: str | None
    mode: str  # the macvlan mode (bridge when the engine sets none)
    subnets: list[Subnet] = field(default_factory=list)
    containers: list[dict] = field(default_factory=list)  # [{name, addresses}] of running containers

    @property
    def label(self) -> str:
        return f"{ENGINE_LABELS[self.engine]} network {self.name!r}"

    def result(self) -> dict:
        return {
            "name": self.name,
            "engine": self.engine,
            "driver": self.driver,
            "parent": self.parent,
            "mode": self.mode,
            "subnets": [
                {"subnet": s.subnet, "gateway": s.gateway, "ip_range": s.ip_range or lease_cidr(s), "aux_addresses": list(s.aux_addresses)}
                for s in self.subnets
            ],
            "containers": self.containers,
        }


def parse_docker_network(data: dict) -> EngineNetwork:
    options = data.get("Options") or {}
    subnets = []
    for config in (data.get("IPAM") or {}).get("Config") or []:
        aux = tuple(sorted((config.get("AuxiliaryAddresses") or {}).values(), key=ipaddress.ip_address))
        subnets.append(Subnet(config["Subnet"], config.get("Gateway") or None, config.get("IPRange") or None, aux_addresses=aux))
    containers = []
    for entry in sorted((data.get("Containers") or {}).values(), key=lambda c: c.get("Name", "")):
        addresses = [entry[key] for key in ("IPv4Address", "IPv6Address") if entry.get(key)]
        containers.append({"name": entry.get("Name"), "addresses": addresses})
    return EngineNetwork(
        name=data.get("Name", ""), engine="docker", driver=data.get("Driver", ""), parent=options.get("parent"),
        mode=options.get("macvlan_mode") or "bridge", subnets=subnets, containers=containers,
    )


def parse_podman_network(data: dict, containers: list[dict]) -> EngineNetwork:
    subnets = []
    for config in data.get("subnets") or []:
        lease = config.get("lease_range") or {}
        subnets.append(Subnet(config["subnet"], config.get("gateway"), lease_start=lease.get("start_ip"), lease_end=lease.get("end_ip")))
    return EngineNetwork(
        name=data.get("name", ""), engine="podman", driver=data.get("driver", ""), parent=data.get("network_interface") or None,
        mode=(data.get("options") or {}).get("mode") or "bridge", subnets=subnets, containers=containers,
    )


def lease_cidr(subnet: Subnet) -> str | None:
    """Podman's lease range as the network that holds it (Podman starts it one after the range's first address)."""
    if not subnet.lease_start or not subnet.lease_end:
        return None
    start, end = ipaddress.ip_address(subnet.lease_start), ipaddress.ip_address(subnet.lease_end)
    for prefix in range(start.max_prefixlen, -1, -1):
        net = ipaddress.ip_network(f"{start}/{prefix}", strict=False)
        if end in net:
            return net.compressed
    return None


def allocation_ranges(subnet: Subnet) -> list:
    """The addresses the engine may hand to containers in this subnet."""
    if subnet.lease_start and subnet.lease_end:
        return list(ipaddress.summarize_address_range(ipaddress.ip_address(subnet.lease_start), ipaddress.ip_address(subnet.lease_end)))
    return [ipaddress.ip_network(subnet.ip_range or subnet.subnet, strict=False)]


def _host_cidr(address: str) -> str:
    ip = ipaddress.ip_address(address)
    return f"{ip.compressed}/{ip.max_prefixlen}"


def derive_shim(network: EngineNetwork, addresses: list[str] | None = None, parent: str | None = None) -> dict:
    """{parent, routes, addresses, warnings} of a shim that reaches the network's containers.

    addresses: the shim addresses the user chose (None: one reserved auxiliary address per family).
    parent: the parent the user named (None: the network's). Raises MacvlanError for what cannot work."""
    label = network.label
    if network.driver != "macvlan":
        raise MacvlanError(f"host_shim_container_network={network.name}: {label} is a {network.driver or 'driverless'} network, not a macvlan network")
    if not network.parent:
        raise MacvlanError(f"host_shim_container_network={network.name}: {label} names no parent interface")
    if parent and parent != network.parent:
        raise MacvlanError(
            f"host_shim_parent={parent}: {label} sits on {network.parent}; a shim on another interface cannot reach its containers "
            "(leave host_shim_parent unset to take the network's)"
        )
    if network.mode == "private":
        raise MacvlanError(
            f"host_shim_container_network={network.name}: {label} is in private mode, where no other macvlan on {network.parent} "
            "(the shim included) can ever reach its containers"
        )
    warnings = []
    if network.mode == "vepa":
        warnings.append(
            f"{label} is in vepa mode: the bridge-mode shim reaches its containers only if the switch port of {network.parent} hairpins"
        )
    routes = []
    ranged = False
    for subnet in network.subnets:
        if subnet.ip_range or subnet.lease_start:
            ranged = True
            routes.append(ipaddress.ip_network(subnet.ip_range or lease_cidr(subnet), strict=False).compressed)
    if not ranged:
        # Never the whole subnet: that would cut the host off its LAN. One host route per running container.
        for container in network.containers:
            for address in container["addresses"]:
                routes.append(_host_cidr(address.split("/")[0]))
    if addresses is None:
        addresses = []
        for family in (4, 6):
            aux = [a for s in network.subnets for a in s.aux_addresses if ipaddress.ip_address(a).version == family]
            if aux:
                addresses.append(_host_cidr(aux[0]))
        if not addresses:
            hint = "outside its lease range" if network.engine == "podman" else "reserved with --aux-address"
            raise MacvlanError(
                f"host_shim_addresses: {label} reserves no auxiliary address for the host, so the shim's address must be given "
                f"(one {hint})"
            )
    for cidr in addresses:
        _check_shim_address(network, cidr)
    return {"parent": network.parent, "routes": sorted(set(routes), key=_cidr_order), "addresses": list(addresses), "warnings": warnings}


def _cidr_order(cidr: str) -> tuple:
    net = ipaddress.ip_network(cidr, strict=False)
    return (net.version, net.network_address, net.prefixlen)


def _check_shim_address(network: EngineNetwork, cidr: str) -> None:
    try:
        ip = ipaddress.ip_interface(cidr).ip
    except ValueError as exc:
        raise MacvlanError(f"host_shim_addresses: {cidr!r} is not an address in CIDR form") from exc
    for subnet in network.subnets:
        reserved = {ipaddress.ip_address(a) for a in subnet.aux_addresses}
        if subnet.gateway:
            reserved.add(ipaddress.ip_address(subnet.gateway))
        for allocation in allocation_ranges(subnet):
            if ip.version == allocation.version and ip in allocation and ip not in reserved:
                shown = subnet.ip_range or (f"{subnet.lease_start}-{subnet.lease_end}" if subnet.lease_start else subnet.subnet)
                fix = (
                    "Podman cannot reserve addresses: pick one outside its lease range" if network.engine == "podman"
                    else f"reserve it with --aux-address host={ip} or pick a reserved one"
                )
                raise MacvlanError(
                    f"host_shim_addresses: {cidr} lies inside {shown}, which {network.label} hands out to containers, and is not "
                    f"reserved: a future container could get the host's address. {fix}"
                )


def read_network(name: str, engine: str = "auto") -> EngineNetwork:
    """The network as its engine describes it, with its running containers; auto needs exactly one engine to know it."""
    engines = ENGINES if engine == "auto" else (engine,)
    found, failures = [], []
    for candidate in engines:
        try:
            out = run_engine(candidate, ["network", "inspect", name], f"host_shim_container_network={name}")
            data = json.loads(out)[0]
        except (MacvlanError, ValueError, IndexError) as exc:
            if engine != "auto":
                raise
            failures.append(exc)
            continue
        if candidate == "docker":
            found.append(parse_docker_network(data))
        else:
            containers, _notes = running_containers(("podman",))
            members = [
                {"name": c.name, "addresses": list(ep.addresses)} for c in containers for ep in c.endpoints if ep.network == name
            ]
            found.append(parse_podman_network(data, sorted(members, key=lambda m: m["name"])))
    if not found:
        reasons = "; ".join(str(exc).split(": ", 1)[-1] for exc in failures)
        raise NotKnown(f"host_shim_container_network={name}: no such network ({reasons})")
    if len(found) > 1:
        raise MacvlanError(f"host_shim_container_network={name}: both Docker and Podman have a network of that name; set host_shim_container_engine")
    return found[0]
