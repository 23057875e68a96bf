# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a link's DHCP client must do, and what it did: the values the planner and the engine pass
around (pure: no process is touched here; _dhcp/clients.py runs the clients)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_STATE_DIR = "/run/linuxnet-macvlan/dhcp"


@dataclass(frozen=True)
class DhcpRequest:
    enabled: bool  # False: no client may run for the link (dhcp: false, or the link is absent)
    client: str = "auto"
    state_dir: str = DEFAULT_STATE_DIR
    timeout: int = 10
    default_route: bool = False
    owner: str | None = None  # a container's "<engine>-<name>": its clients are keyed by it, not by the namespace


@dataclass
class DhcpOutcome:
    changed: bool
    running: bool
    client: str | None = None
    pid: int | None = None
    address: str | None = None

    def result(self) -> dict:
        return {"running": self.running, "client": self.client, "pid": self.pid, "address": self.address}


def dhcp_request(params: dict, link_present: bool, default_route: bool) -> DhcpRequest | None:
    """None: the user does not care (dhcp omitted on a present link)."""
    if link_present and params.get("dhcp") is None:
        return None
    route = params.get("dhcp_default_route")
    return DhcpRequest(
        enabled=bool(link_present and params.get("dhcp")),
        client=params.get("dhcp_client") or "auto",
        state_dir=params.get("dhcp_state_dir") or DEFAULT_STATE_DIR,
        timeout=params.get("dhcp_timeout") if params.get("dhcp_timeout") is not None else 10,
        default_route=default_route if route is None else route,
    )
