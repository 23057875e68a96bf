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


def _root_routes() -> list[tuple]:
    """The root namespace's routes (every table), without what changes by itself (expiry timers)."""
    routes = []
    for family in ("-4", "-6"):
        for route in json.loads(sh("ip", family, "-j", "route", "show", "table", "all").stdout or "[]"):
            routes.append((family, route.get("table", "main"), route.get("type", "unicast"), route["dst"], route.get("dev"),
                           route.get("gateway"), route.get("protocol"), route.get("metric")))
    return sorted(routes, key=repr)


# The machine's directories a daemon or `systemd-analyze verify` would write if a test let it out of
# its lab: entries may not appear (in /run, /run/systemd) or change at all (the configuration dirs).
WATCHED_NEW = ("/run", "/run/systemd")
WATCHED_EXACT = ("/etc/systemd/network", "/etc/NetworkManager")


def _listing() -> tuple[set, set]:
    new = {os.path.join(d, n) for d in WATCHED_NEW if os.path.isdir(d) for n in os.listdir(d)}
    exact = {os.path.join(root, n) for d in WATCHED_EXACT for root, dirs, files in os.walk(d) for n in dirs + files}
    return new, exact


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
    links_before, addrs_before, routes_before = _root_links(), _root_addrs(), _root_routes()
    new_before, exact_before = _listing()
    yield
    assert _root_links() == links_before, "the root namespace's links changed during the test session"
    assert _root_addrs() == addrs_before, "the root namespace's addresses changed during the test session"
    assert _root_routes() == routes_before, "the root namespace's routes changed during the test session"
    new_after, exact_after = _listing()
    assert not new_after - new_before, f"the test session created {sorted(new_after - new_before)}"
    assert exact_after == exact_before, f"the machine's network configuration changed: {sorted(exact_after ^ exact_before)}"


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
