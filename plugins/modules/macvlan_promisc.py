#!/usr/bin/python
# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macvlan_promisc
short_description: Set the promiscuous and all-multicast flags of a macvlan parent
version_added: 0.1.0
description:
  - Sets or clears the promiscuous flag of an interface, idempotently, like C(ip link set eth0 promisc on),
    and optionally its all-multicast flag, like C(ip link set eth0 allmulticast on).
  - Only the flag a user sets (C(IFF_PROMISC), shown as C(PROMISC) by C(ip link)) is compared and changed.
    The kernel's promiscuity counter also counts holders that never touch the flag (packet sockets such as
    tcpdump's, a bridge the interface is a port of, macvlans on a NIC without unicast filtering). It is
    returned as RV(promiscuity) but never judged, so the module never clears promiscuity that others hold;
    an interface can stay promiscuous after O(promisc=false) while they hold it.
  - With O(promisc=true) the module warns, without failing, when the interface is wireless (macvlan generally
    does not work over Wi-Fi) and when the machine is a virtual machine, naming what the hypervisor's virtual
    switch must allow (VMware - Promiscuous mode and Forged transmits; VirtualBox - Promiscuous Mode "Allow All";
    Hyper-V - MAC address spoofing).
author:
  - linuxnet.macvlan maintainers (@linuxnet)
extends_documentation_fragment:
  - linuxnet.macvlan._attributes
  - linuxnet.macvlan._netns
  - linuxnet.macvlan._requirements
attributes:
  check_mode:
    support: full
    details:
      - Predicts C(changed) and the end state exactly, including RV(promiscuity), which moves by one when the flag changes.
  diff_mode:
    support: full
  idempotent:
    support: full
  platform:
    platforms: linux
    support: full
options:
  name:
    description:
      - The interface, usually the parent of macvlans (for example V(eth0)).
    type: str
    required: true
  promisc:
    description:
      - Whether the promiscuous flag is set.
    type: bool
    default: true
  allmulticast:
    description:
      - Whether the all-multicast flag is set (receive all multicast frames). Omitted means "don't care".
    type: bool
notes:
  - The flag does not survive a reboot; run the task at every boot or from the host's network configuration.
seealso:
  - module: linuxnet.macvlan.macvlan_info
  - module: linuxnet.macvlan.macvlan_link
"""

EXAMPLES = r"""
---
- name: Put the macvlan parent into promiscuous mode (like ip link set eno16777984 promisc on)
  linuxnet.macvlan.macvlan_promisc:
    name: eno16777984
    promisc: true

- name: Clear the flag again and receive all multicast frames, on a NIC inside a namespace
  linuxnet.macvlan.macvlan_promisc:
    name: eth1
    netns: edge
    promisc: false
    allmulticast: true
"""

RETURN = r"""
name:
  description: The interface.
  returned: success
  type: str
  sample: eth0
netns:
  description: The namespace as given in O(netns).
  returned: success
  type: str
  sample: null
promisc:
  description: The promiscuous flag (C(IFF_PROMISC)) at the end (in check mode, predicted).
  returned: success
  type: bool
  sample: true
allmulticast:
  description: The all-multicast flag (C(IFF_ALLMULTI)) at the end (in check mode, predicted).
  returned: success
  type: bool
  sample: false
promiscuity:
  description:
    - The kernel's promiscuity counter at the end (in check mode, predicted). The interface receives every
      frame while it is above zero; the flag counts for one, every other holder (packet socket, bridge port,
      macvlan on a NIC without unicast filtering) for one more.
  returned: success
  type: int
  sample: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, validate_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.validation import validate_ifname
from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.host_facts import detect_vm, vm_warning, wireless_warning
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import require_pyroute2
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.promisc_plan import promisc_result
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.promisc_run import run_promisc


def systemd_detect_virt(module: AnsibleModule) -> str | None:
    path = module.get_bin_path("systemd-detect-virt")
    if path is None:
        return None
    _rc, out, _err = module.run_command([path, "--vm"])
    # rc 1 with "none" means bare metal; anything else without output: let DMI decide.
    return out.strip() or None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "promisc": {"type": "bool", "default": True},
            "allmulticast": {"type": "bool"},
            "netns": {"type": "str"},
        },
        supports_check_mode=True,
    )
    require_pyroute2(module)

    name, netns = module.params["name"], module.params["netns"]
    where = describe_netns(netns)
    try:
        validate_netns(netns)
        validate_ifname(name, where)
        outcome = run_promisc(netns, where, name, module.params["promisc"], module.params["allmulticast"], module.check_mode)
    except MacvlanError as exc:
        module.fail_json(msg=str(exc))

    if outcome.wireless:
        module.warn(wireless_warning(name, where))
    if module.params["promisc"]:
        warning = vm_warning(detect_vm("/", systemd_detect_virt(module)), name)
        if warning:
            module.warn(warning)

    result = {"changed": bool(outcome.changes), **promisc_result(outcome.after, netns)}
    if module._diff:
        result["diff"] = {"before": promisc_result(outcome.before, netns), "after": promisc_result(outcome.after, netns)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
