"""The parent's promiscuous flag through playbooks/macvlan_host.yml, run by FQCN from the staged
collection against a namespace lab host (h1, parent eth0).

The flag is read from the kernel (ip -j link in the lab namespace), the persistence files from
the test's own persist root.
"""

from __future__ import annotations

import pytest

from shim_lab import SHIM

# What each backend's files say to make the parent promiscuous at boot.
PROMISC_IN_FILES = {
    "systemd": (f"etc/systemd/system/host-shim-{SHIM}.service", "ExecStart=/sbin/ip link set dev eth0 promisc on\n"),
    "networkd": (f"etc/systemd/network/10-eth0.network.d/50-host-shim-{SHIM}.conf", "[Link]\nPromiscuous=yes\n"),
    "ifupdown": (f"etc/network/interfaces.d/host-shim-{SHIM}", "pre-up ip link set dev eth0 promisc on\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(PROMISC_IN_FILES))
def test_macvlan_host_persists_the_promiscuous_parent(shim_lab, backend):
    host = {"macvlan_parent_promisc": True, "host_shim_persist": backend}
    assert not shim_lab.parent_promisc()
    assert shim_lab.playbook("macvlan_host", check=True, **host)["changed"] > 0
    assert not shim_lab.parent_promisc(), "check mode changed the flag"
    assert shim_lab.playbook("macvlan_host", **host)["changed"] > 0
    for check in (False, True):
        again = shim_lab.playbook("macvlan_host", check=check, **host)
        assert again["changed"] == 0, f"not idempotent (check={check}):\n{again['out'][-4000:]}"

    assert shim_lab.parent_promisc()
    path, promisc_line = PROMISC_IN_FILES[backend]
    assert promisc_line in (shim_lab.root / path).read_text(), f"{path} does not make the parent promiscuous at boot"
    assert shim_lab.reaches_containers()
