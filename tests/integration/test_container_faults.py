"""A container stopped in the middle of a run (issue 17's faults, with a real dockerd confined to a lab
host): the run fails with a clear message naming the container, no traceback, and nothing is left on
the host's side."""

from __future__ import annotations

import json

import pytest

from engine_fixtures import docker_lab  # noqa: F401  pylint: disable=unused-import
from lab import sh
from test_faults import fault


@pytest.fixture(scope="module")
def flab(docker_lab):  # noqa: F811  pylint: disable=redefined-outer-name
    return docker_lab


def host_macvlans(flab) -> list[str]:
    links = json.loads(sh("ip", "-n", flab.h1, "-d", "-j", "link", "show").stdout)
    return [link["ifname"] for link in links if link.get("linkinfo", {}).get("info_kind") == "macvlan"]


def test_container_stopped_between_plan_and_apply(flab):
    flab.engine.run("victim", "--network", "none")
    before = host_macvlans(flab)
    args = {"name": "eth0", "container": "victim", "parent": "eth0", "parent_netns": flab.h1, "addresses": ["10.78.0.80/24"]}
    # The module's environment reaches the engine: `docker` and DOCKER_HOST are the test's own.
    failed = flab.modules.fails("macvlan_netns", args, fault=fault("sh", "-c", "docker kill victim >/dev/null"))
    assert "victim" in failed["msg"] and "Docker" in failed["msg"], failed["msg"]
    assert "Traceback" not in failed["_stderr"]
    assert host_macvlans(flab) == before
    flab.engine.cli("rm", "-f", "victim")
