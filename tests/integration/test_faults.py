"""Faults in the middle of a run, injected at the instant between planning and the first kernel
write (the kernel stays real): the parent deleted, the target namespace deleted. Each ends in a
clear error naming the object and the namespace, no traceback, nothing half-built left. (A kernel
refusal in the middle of a multi-step change is test_macvlan_link.py's
test_a_failed_route_undoes_the_address_change and the undo tests next to it.)"""

from __future__ import annotations

# Runs `command` (argv) once, just before the run's first kernel write.
BEFORE_FIRST_WRITE = """
import subprocess
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile import steps as _link_apply
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink import writer as _netlink_write
def _before(original):
    def first(*args, **kwargs):
        if not getattr(first, "done", False):
            first.done = True
            subprocess.run({command!r}, check=True)
        return original(*args, **kwargs)
    return first
_link_apply.LinkApplier.apply = _before(_link_apply.LinkApplier.apply)
_netlink_write.LinkWriter.create_many = _before(_netlink_write.LinkWriter.create_many)
"""


def fault(*command: str) -> str:
    return BEFORE_FIRST_WRITE.format(command=list(command))


def macvlans(lab, ns) -> list[str]:
    return [link["ifname"] for link in lab.links(ns) if link.get("linkinfo", {}).get("info_kind") == "macvlan"]


def test_parent_deleted_between_plan_and_apply(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "netns": h1, "parent": "eth0", "mode": "bridge", "addresses": ["10.77.0.60/24"]}
    failed = modules.fails("macvlan_link", args, fault=fault("ip", "-n", h1, "link", "del", "eth0"))
    assert failed["msg"] == f"parent 'eth0' does not exist in namespace '{h1}'", failed["msg"]
    assert "Traceback" not in failed["msg"] + failed["_stderr"]
    assert macvlans(host_lab, h1) == []


def test_parent_deleted_before_a_batch_of_creations(host_lab, modules):
    h1 = host_lab.ns("h1")
    config = [{"name": f"mvb{i}", "netns": h1, "parent_netns": h1, "parent": "eth0", "mode": "bridge"} for i in range(3)]
    failed = modules.fails("macvlan_links", {"config": config}, fault=fault("ip", "-n", h1, "link", "del", "eth0"))
    assert failed["msg"].startswith(f"config[0] (mvb0 in namespace '{h1}'): parent 'eth0' does not exist in namespace '{h1}'"), failed["msg"]
    assert "Traceback" not in failed["msg"] + failed["_stderr"]
    assert macvlans(host_lab, h1) == []


def test_link_namespace_deleted_mid_run(host_lab, modules):
    h1 = host_lab.ns("h1")
    args = {"name": "mv0", "netns": h1, "parent": "eth0", "mode": "bridge"}
    failed = modules.fails("macvlan_link", args, fault=fault("ip", "netns", "del", h1))
    assert failed["msg"].startswith(f"namespace '{h1}' was deleted while link mv0 was being configured in it"), failed["msg"]
    assert "the new link mv0 was removed again" in failed["msg"]
    assert "Traceback" not in failed["_stderr"]


def test_target_namespace_deleted_mid_run(host_lab, modules):
    h1, c1 = host_lab.ns("h1"), host_lab.add_container("c1")
    args = {"name": "eth1", "netns": c1, "parent_netns": h1, "parent": "eth0", "mode": "bridge", "addresses": ["10.77.0.61/24"]}
    failed = modules.fails("macvlan_netns", args, fault=fault("ip", "netns", "del", c1))
    assert c1 in failed["msg"] and "deleted" in failed["msg"], failed["msg"]
    assert "Traceback" not in failed["_stderr"]
    # Nothing on the host side: the link went straight into the (now unnamed) namespace and was removed.
    assert macvlans(host_lab, h1) == []
