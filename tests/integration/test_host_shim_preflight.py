"""host_shim's checks before it changes anything, and what a no-op rerun still does.

Each refusal must name the input and the host, and leave neither a shim in the kernel nor a file
under the persistence root.
"""

from __future__ import annotations

import pytest

PROBE = "TASK [linuxnet.macvlan.host_shim : Read the parent's own addresses]"
CONVERGE_RAN = "changed: [h1]"


def refused(shim_lab, **variables) -> str:
    out = shim_lab.play(expect_failure=True, **variables)["out"]
    assert "Traceback" not in out, out[-3000:]
    assert shim_lab.runtime() == {}, "a refused run left a shim in the kernel"
    assert shim_lab.written() == {}, "a refused run wrote persistence files"
    return out


@pytest.mark.slow
def test_shim_address_inside_a_routed_range_is_refused(shim_lab):
    out = refused(shim_lab, host_shim_addresses=["10.77.0.201/32"], host_shim_routes=["10.77.0.200/31"])
    assert "host_shim_addresses: 10.77.0.201/32 lies inside the routed range 10.77.0.200/31" in out


@pytest.mark.slow
def test_route_over_the_hosts_own_lan_address_is_refused(shim_lab):
    out = refused(shim_lab, host_shim_addresses=["192.0.2.250/32"], host_shim_routes=["10.77.0.0/24"])
    assert "host_shim_routes: 10.77.0.0/24" in out
    assert "contains the host's own address 10.77.0.1 on eth0" in out


@pytest.mark.slow
def test_too_long_shim_name_is_refused(shim_lab):
    out = refused(shim_lab, host_shim_name="shim-of-16-bytes")
    assert "host_shim_name=shim-of-16-bytes: an interface name is 1 to 15 bytes." in out


@pytest.mark.slow
def test_shim_name_of_15_characters_but_16_bytes_is_refused(shim_lab):
    """IFNAMSIZ counts bytes: a multibyte UTF-8 character takes two of the 15."""
    name = "shimé-of-15-chr"
    assert (len(name), len(name.encode())) == (15, 16)
    out = refused(shim_lab, host_shim_name=name)
    assert f"host_shim_name={name}: an interface name is 1 to 15 bytes." in out


@pytest.mark.slow
def test_shim_name_of_15_bytes_is_accepted(shim_lab):
    shim_lab.play("none", host_shim_name="shim-of-15bytes")
    assert shim_lab.lab.link(shim_lab.h1, "shim-of-15bytes") is not None


@pytest.mark.slow
def test_missing_parent_is_refused(shim_lab):
    out = refused(shim_lab, host_shim_parent="eth9")
    assert "host_shim_parent=eth9: no such network device on h1." in out


@pytest.mark.slow
def test_noop_rerun_skips_the_host_probes_and_the_apply(shim_lab):
    first = shim_lab.play("none")
    assert first["changed"] > 0 and PROBE in first["out"]
    assert shim_lab.reaches_containers()
    again = shim_lab.play("none")
    assert again["changed"] == 0, again["out"][-4000:]
    assert PROBE not in again["out"], "a no-op rerun probed the host"
    assert CONVERGE_RAN not in again["out"]


@pytest.mark.slow
@pytest.mark.parametrize("root", ["empty", "missing"])
def test_persistence_root_without_etc(shim_lab, root):
    """The scan for an earlier run's files copes with a root that has no /etc, or does not exist."""
    path = shim_lab.tmp / root
    if root == "empty":
        path.mkdir()
    shim_lab.play("none", host_shim_persist_root=str(path))
    assert shim_lab.runtime()["addresses"]
    assert shim_lab.play("none", host_shim_persist_root=str(path))["changed"] == 0
    assert path.exists() == (root == "empty"), "persist=none created the persistence root"
