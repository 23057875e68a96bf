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

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import KernelRefusal, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.host_facts import detect_vm, nic_facts, vm_warning, wireless_warning
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import ObservedLink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, validate_netns
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.promisc_plan import mismatches, plan_promisc, promisc_result
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import require_pyroute2
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.validation import validate_ifname


def systemd_detect_virt(module: AnsibleModule) -> str | None:
    path = module.get_bin_path("systemd-detect-virt")
    if path is None:
        return None
    _rc, out, _err = module.run_command([path, "--vm"])
    # rc 1 with "none" means bare metal; anything else without output: let DMI decide.
    return out.strip() or None


def set_flags(module: AnsibleModule, where: str) -> tuple[dict, ObservedLink, ObservedLink, bool]:
    """(changes, observed, end state, wireless); raises MacvlanError."""
    name, netns = module.params["name"], module.params["netns"]
    validate_netns(netns)
    validate_ifname(name, where)
    with Netlink(netns) as nl:
        observed = nl.read_link(name=name, with_ip=False)
        if observed is None:
            raise MacvlanError(f"interface {name!r} does not exist in {where}")
        changes, end_state = plan_promisc(observed, module.params["promisc"], module.params["allmulticast"])
        if changes and not module.check_mode:
            try:
                nl.set_link(observed.ifindex, changes)
            except KernelRefusal as exc:
                raise MacvlanError(f"setting flags on {name} in {where}: {exc.reason()}") from exc
            end_state = nl.read_link(index=observed.ifindex, with_ip=False)
            if end_state is None:
                raise MacvlanError(f"interface {name!r} disappeared from {where} while its flags were set")
            refused = mismatches(changes, end_state)
            if refused:
                raise MacvlanError(f"setting flags on {name} in {where}: the kernel did not apply them ({'; '.join(refused)})")
        wireless = False
        if module.params["promisc"]:
            bus, device = nl.bus_device(observed.ifindex)
            facts = nic_facts("/", name, observed.ifindex, observed.mac_address, observed.kind, bus, device)
            wireless = bool(facts["wireless"])
    return changes, observed, end_state, wireless


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
        changes, observed, end_state, wireless = set_flags(module, where)
    except MacvlanError as exc:
        module.fail_json(msg=str(exc))

    if wireless:
        module.warn(wireless_warning(name, where))
    if module.params["promisc"]:
        warning = vm_warning(detect_vm("/", systemd_detect_virt(module)), name)
        if warning:
            module.warn(warning)

    result = {"changed": bool(changes), **promisc_result(end_state, netns)}
    if module._diff:
        result["diff"] = {"before": promisc_result(observed, netns), "after": promisc_result(end_state, netns)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
