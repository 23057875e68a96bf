"""The host_shim role through pytest-ansible: include_role on a namespace host."""

from __future__ import annotations

import json

from conftest import COLLECTION, run

from lab import sh


def add_container_macvlan(palab, netns: str, address: str) -> None:
    """A container's macvlan on h1's eth0, made with iproute2 alone (not the module under test)."""
    sh("ip", "-n", palab.h1, "link", "add", "mvctr", "link", "eth0", "type", "macvlan", "mode", "bridge")
    sh("ip", "-n", palab.h1, "link", "set", "mvctr", "netns", netns)
    sh("ip", "-n", netns, "link", "set", "mvctr", "name", "eth0")
    sh("ip", "-n", netns, "addr", "add", address, "dev", "eth0")
    sh("ip", "-n", netns, "link", "set", "eth0", "up")


def test_host_shim_lets_the_host_reach_its_container(palab, hosts):
    add_container_macvlan(palab, palab.c1, "10.79.0.11/24")
    try:
        assert not palab.lab.ping(palab.h1, "10.79.0.11", tries=1), "reachable before the shim: the lab is wrong"
        result = run(hosts, "h1", "ansible.builtin.include_role", name=f"{COLLECTION}.host_shim")
        assert not result.get("failed"), result.get("msg", result)
        shim = json.loads(sh("ip", "-n", palab.h1, "-d", "-j", "addr", "show", "dev", "lmvp-shim").stdout)[0]
        assert shim["linkinfo"]["info_kind"] == "macvlan" and shim["linkinfo"]["info_data"]["mode"] == "bridge"
        assert [f"{a['local']}/{a['prefixlen']}" for a in shim["addr_info"] if a.get("scope") == "global"] == ["10.79.0.200/32"]
        routes = json.loads(sh("ip", "-n", palab.h1, "-j", "route", "show", "dev", "lmvp-shim").stdout)
        assert "10.79.0.8/29" in {r["dst"] for r in routes}
        assert palab.lab.ping(palab.h1, "10.79.0.11"), "the host does not reach its container through the shim"
        mac = shim["address"]
        again = run(hosts, "h1", "ansible.builtin.include_role", name=f"{COLLECTION}.host_shim")
        assert not again.get("failed"), again
        assert json.loads(sh("ip", "-n", palab.h1, "-j", "link", "show", "dev", "lmvp-shim").stdout)[0]["address"] == mac
    finally:
        sh("ip", "-n", palab.h1, "link", "del", "lmvp-shim", check=False)
        sh("ip", "-n", palab.c1, "link", "del", "eth0", check=False)


def test_role_arguments_are_checked_on_the_controller(palab, hosts):
    """host_shim_mode: sideways (inventory of h1_bad_vars) stops at meta/argument_specs.yml."""
    before = sh("ip", "-n", palab.h1, "-d", "-j", "link", "show").stdout
    result = run(hosts, "h1_bad_vars", "ansible.builtin.include_role", name=f"{COLLECTION}.host_shim")
    assert result.get("failed") is True
    assert "host_shim_mode" in result["msg"] and "sideways" in result["msg"], result["msg"]
    assert result.get("argument_spec_data") or "argument" in result["msg"].lower(), result
    assert sh("ip", "-n", palab.h1, "-d", "-j", "link", "show").stdout == before
