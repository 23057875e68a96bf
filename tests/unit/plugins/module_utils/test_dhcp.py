"""DHCP client choice, requests and event scripts (pure; no client is started here)."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.clients import DhcpClients
from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.request import DhcpRequest, dhcp_request
from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.scripts import script_text
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError


def which(*found):
    return lambda name: f"/usr/sbin/{name}" if name in found else None


@pytest.mark.parametrize(
    "params, present, route, expected",
    [
        ({"dhcp": None}, True, False, None),
        ({"dhcp": True}, True, False, DhcpRequest(True, default_route=False)),
        ({"dhcp": True, "dhcp_default_route": False}, True, True, DhcpRequest(True, default_route=False)),
        ({"dhcp": True}, True, True, DhcpRequest(True, default_route=True)),
        ({"dhcp": False, "dhcp_client": "dhclient"}, True, False, DhcpRequest(False, client="dhclient")),
        ({"dhcp": None}, False, False, DhcpRequest(False)),
        ({"dhcp": True, "dhcp_timeout": 3, "dhcp_state_dir": "/tmp/x"}, False, False, DhcpRequest(False, state_dir="/tmp/x", timeout=3)),
    ],
)
def test_requests(params, present, route, expected):
    assert dhcp_request(params, present, route) == expected


def test_auto_takes_udhcpc_then_dhclient_and_names_what_to_install():
    assert DhcpClients(which("udhcpc", "dhclient"), DhcpRequest(True))._program() == ("udhcpc", ["/usr/sbin/udhcpc"])
    assert DhcpClients(which("dhclient"), DhcpRequest(True))._program() == ("dhclient", ["/usr/sbin/dhclient"])
    assert DhcpClients(which("udhcpc", "dhclient"), DhcpRequest(True, client="dhclient"))._program()[0] == "dhclient"
    with pytest.raises(MacvlanError, match=r"no DHCP client found on this host; install busybox \(udhcpc\) or isc-dhcp-client \(dhclient\)"):
        DhcpClients(which(), DhcpRequest(True))._program()
    with pytest.raises(MacvlanError, match=r"dhcp_client=dhclient: .*install isc-dhcp-client \(dhclient\)$"):
        DhcpClients(which("udhcpc"), DhcpRequest(True, client="dhclient"))._program()


@pytest.mark.parametrize("client", ["udhcpc", "dhclient"])
@pytest.mark.parametrize("route", [True, False])
def test_event_scripts_touch_only_the_link(client, route):
    text = script_text(client, route)
    assert text.startswith("#!/bin/sh\n") and "resolv" not in text.split("Touches no file.")[1]
    assert f"DEFAULT_ROUTE={1 if route else 0}\n" in text
    # Every value from the client's environment reaches ip quoted.
    assert 'dev "$interface"' in text and '"$1/$2"' in text
