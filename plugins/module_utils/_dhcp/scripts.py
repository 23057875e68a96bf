# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The event scripts the DHCP clients run (written into the DHCP state directory, mode 0700).

They set the leased IPv4 address on the link with the lease as its lifetime (so the address is
dynamic: `addresses` never manages it), and the default route when asked. They never touch
/etc/resolv.conf or any other file: the distributions' default scripts do, for the whole machine.
Values come only from the client's environment and are always passed quoted.
"""

from __future__ import annotations

_COMMON = r"""#!/bin/sh
# Written by linuxnet.macvlan (module_utils/_dhcp/scripts.py). Sets the leased address on the
# link and, when asked, the default route through the lease's router. Touches no file.
DEFAULT_ROUTE=@DEFAULT_ROUTE@
set_lease() {  # address, prefix or netmask, lifetime, routers
    [ -n "$1" ] || return 0
    ip -4 addr replace "$1/$2" dev "$interface" valid_lft "${3:-forever}" preferred_lft "${3:-forever}" || return 1
    for old in $(ip -4 -o addr show dev "$interface" dynamic | awk '{print $4}'); do
        [ "${old%/*}" = "$1" ] || ip -4 addr del "$old" dev "$interface"
    done
    if [ "$DEFAULT_ROUTE" = 1 ] && [ -n "$4" ]; then
        set -- $4
        ip -4 route replace default via "$1" dev "$interface"
    fi
    return 0
}
drop_lease() {
    if [ "$DEFAULT_ROUTE" = 1 ]; then
        ip -4 route del default dev "$interface" 2>/dev/null
    fi
    ip -4 addr flush dev "$interface" dynamic 2>/dev/null
    return 0
}
"""

UDHCPC = _COMMON + r"""case "$1" in
    deconfig|leasefail|nak) drop_lease ;;
    bound|renew) set_lease "$ip" "${mask:-$subnet}" "$lease" "$router" ;;
esac
exit 0
"""

DHCLIENT = _COMMON + r"""case "$reason" in
    BOUND|RENEW|REBIND|REBOOT) set_lease "$new_ip_address" "$new_subnet_mask" "$new_dhcp_lease_time" "$new_routers" ;;
    EXPIRE|FAIL|RELEASE|STOP) drop_lease ;;
esac
exit 0
"""

SCRIPTS = {"udhcpc": UDHCPC, "dhclient": DHCLIENT}


def script_text(client: str, default_route: bool) -> str:
    return SCRIPTS[client].replace("@DEFAULT_ROUTE@", "1" if default_route else "0")
