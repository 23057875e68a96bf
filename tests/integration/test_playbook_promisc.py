"""The parent's promiscuous flag through playbooks/macvlan_host.yml and playbooks/teardown.yml,
run by FQCN from the staged collection against a namespace lab host (h1, parent eth0).

The flag is read from the kernel (ip -j link in the lab namespace), the persistence files from
the test's own persist root, and the role's record from the test's own state directory.
"""

from __future__ import annotations

import pytest

from shim_lab import SHIM

RECORD = f"host-shim-{SHIM}.promisc"
# What each backend's files say to make the parent promiscuous at boot.
PROMISC_IN_FILES = {
    "systemd": (f"etc/systemd/system/host-shim-{SHIM}.service", "ExecStart=/sbin/ip link set dev eth0 promisc on\n"),
    "networkd": (f"etc/systemd/network/10-eth0.network.d/50-host-shim-{SHIM}.conf", "[Link]\nPromiscuous=yes\n"),
    "ifupdown": (f"etc/network/interfaces.d/host-shim-{SHIM}", "pre-up ip link set dev eth0 promisc on\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(PROMISC_IN_FILES))
def test_macvlan_host_persists_the_promiscuous_parent_and_teardown_clears_it(shim_lab, backend):
    host = {"macvlan_parent_promisc": True, "host_shim_persist": backend}
    assert not shim_lab.parent_promisc()
    assert shim_lab.playbook("macvlan_host", check=True, **host)["changed"] > 0
    assert not shim_lab.parent_promisc(), "check mode changed the flag"
    assert not (shim_lab.state_dir / RECORD).exists(), "check mode wrote the record"
    assert shim_lab.playbook("macvlan_host", **host)["changed"] > 0
    for check in (False, True):
        again = shim_lab.playbook("macvlan_host", check=check, **host)
        assert again["changed"] == 0, f"not idempotent (check={check}):\n{again['out'][-4000:]}"

    assert shim_lab.parent_promisc()
    path, promisc_line = PROMISC_IN_FILES[backend]
    assert promisc_line in (shim_lab.root / path).read_text(), f"{path} does not make the parent promiscuous at boot"
    assert (shim_lab.state_dir / RECORD).is_file(), "the role did not record that it set the flag"
    assert shim_lab.reaches_containers()

    assert shim_lab.playbook("teardown")["changed"] > 0
    assert not shim_lab.parent_promisc(), "teardown left the flag this collection set"
    assert not (shim_lab.state_dir / RECORD).exists()
    assert shim_lab.runtime() == {} and shim_lab.written() == {}
    assert shim_lab.playbook("teardown")["changed"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("requested", [True, False])
def test_teardown_keeps_a_promiscuous_flag_someone_else_set(shim_lab, requested):
    """Someone else's `ip link set eth0 promisc on` survives macvlan_host.yml and teardown.yml,
    whether or not macvlan_host.yml asked for a promiscuous parent too."""
    shim_lab.lab.run(shim_lab.h1, "ip", "link", "set", "eth0", "promisc", "on")
    host = {"macvlan_parent_promisc": requested, "host_shim_persist": "systemd"}
    shim_lab.playbook("macvlan_host", **host)
    assert shim_lab.parent_promisc()
    assert not (shim_lab.state_dir / RECORD).exists(), "the role recorded a flag it did not set"
    shim_lab.playbook("teardown", **host)
    assert shim_lab.runtime() == {} and shim_lab.written() == {}
    assert shim_lab.parent_promisc(), "teardown cleared a promiscuous flag someone else set"


@pytest.mark.slow
def test_role_takes_its_flag_away_when_the_option_is_turned_off(shim_lab):
    shim_lab.play("none", host_shim_parent_promisc=True)
    assert shim_lab.parent_promisc() and (shim_lab.state_dir / RECORD).is_file()
    assert shim_lab.play("none", host_shim_parent_promisc=False)["changed"] > 0
    assert not shim_lab.parent_promisc() and not (shim_lab.state_dir / RECORD).exists()
    assert shim_lab.runtime()["addresses"], "the shim itself must stay"
    assert shim_lab.play("none", host_shim_parent_promisc=False)["changed"] == 0
