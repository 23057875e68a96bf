"""Fixtures for real-kernel tests: labs of namespaces, the module runner, and the
guard that the root namespace is left exactly as it was."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from lab import Lab, list_netns, sh, sweep_stale
from modrun import ModuleRunner
from shim_lab import ShimLab, stage_collection


def _root_links() -> list[tuple]:
    links = json.loads(sh("ip", "-d", "-j", "link", "show").stdout)
    return sorted((l["ifindex"], l["ifname"], l.get("address"), l.get("mtu"), tuple(sorted(l.get("flags", [])))) for l in links)


def _root_addrs() -> str:
    return sh("ip", "-j", "addr", "show").stdout.count("local")


@pytest.fixture(scope="session", autouse=True)
def root_namespace_untouched():
    """The suite's promise: the machine's own network is never touched."""
    if os.geteuid() != 0:
        pytest.exit("integration tests need root (they create network namespaces)", returncode=2)
    for tool in ("ip", "ping"):
        if shutil.which(tool) is None:
            pytest.exit(f"integration tests need {tool!r} (run `make deps`)", returncode=2)
    sweep_stale()
    sweep_stale("lmvb")  # the daemon labs' namespaces (their daemons die with them)
    links_before, addrs_before = _root_links(), _root_addrs()
    yield
    assert _root_links() == links_before, "the root namespace's links changed during the test session"
    assert _root_addrs() == addrs_before, "the root namespace's addresses changed during the test session"


@pytest.fixture
def lab():
    """A fresh, empty lab; always destroyed, even when the test fails."""
    the_lab = Lab()
    try:
        yield the_lab
    finally:
        the_lab.destroy()
    leftovers = [ns for ns in list_netns() if ns.startswith(the_lab.prefix)]
    assert not leftovers, f"lab namespaces left behind: {leftovers}"


@pytest.fixture
def host_lab(lab):
    """Switch + host 'h1' (eth0 10.77.0.1/24) + LAN peer 'lan' (10.77.0.254/24)."""
    lab.add_switch()
    lab.add_host("h1", "10.77.0.1/24")
    lab.add_host("lan", "10.77.0.254/24")
    return lab


@pytest.fixture(scope="session")
def modules():
    return ModuleRunner()


@pytest.fixture(scope="session")
def staged(tmp_path_factory):
    """One staged copy of the collection per session, for ansible-playbook."""
    return stage_collection(tmp_path_factory.mktemp("stage"))


@pytest.fixture
def shim_lab(host_lab, staged, tmp_path) -> ShimLab:
    """host_lab's h1 with two macvlan containers, driven by the host_shim role."""
    return ShimLab(host_lab, staged, tmp_path)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
