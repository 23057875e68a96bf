"""The device planner (a macvtap's node, the IPv6 switches) and the queue-count re-creation, without a kernel."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink, Op, ParentInfo, TapWanted
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import plan_link_changes
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.tap_plan import (
    DevicePlan,
    check_tap_options,
    ipv6_enabled,
    parse_tap_mode,
    plan_ipv6,
    plan_tap_node,
)

WHERE = "namespace 'lab'"
PARENT = ParentInfo(name="eth0", ifindex=2, mtu=1500, mac_address="02:00:00:00:00:02", where=WHERE)
MANAGED = "/dev/macvtap/lab/mvt0"


def found(path="/dev/tap7", uid=0, gid=0, mode=0o600, created=False) -> dict:
    return {"path": path, "uid": uid, "gid": gid, "mode": mode, "created": created}


def node_plan(wanted: TapWanted, numbers=(246, 3), node=None) -> DevicePlan:
    plan = DevicePlan()
    plan_tap_node(wanted, numbers, node, MANAGED, plan)
    return plan


@pytest.mark.parametrize("option", ["tap_owner", "tap_group", "tap_mode"])
def test_tap_options_refused_on_a_macvlan(option):
    with pytest.raises(MacvlanError, match=rf"^{option}: only a macvtap has a character device node, and link mv0 in namespace 'lab' is a macvlan"):
        check_tap_options({option: "x"}, "macvlan", "mv0", WHERE)
    check_tap_options({option: "x"}, "macvtap", "mv0", WHERE)


@pytest.mark.parametrize("value,mode", [("0660", 0o660), ("660", 0o660), (0o640, 0o640), ("0600", 0o600), (None, None)])
def test_tap_mode_forms(value, mode):
    assert parse_tap_mode(value, "mvt0", WHERE) == mode


@pytest.mark.parametrize("value", ["rw-rw----", "0999", "17777", -1, "u+rw"])
def test_tap_mode_refused(value):
    with pytest.raises(MacvlanError, match="not an octal permission mode"):
        parse_tap_mode(value, "mvt0", WHERE)


def test_missing_node_is_created_then_owned():
    plan = node_plan(TapWanted(MANAGED, owner=107, group=36, mode=0o660))
    assert plan.node_actions == [("create", MANAGED, 246, 3, 0o660), ("chown", MANAGED, 107, 36)]
    assert plan.tap == {"path": MANAGED, "major": 246, "minor": 3, "uid": 107, "gid": 36, "mode": "0660", "created": True}


def test_created_node_defaults_to_what_devtmpfs_gives():
    plan = node_plan(TapWanted(MANAGED))
    assert plan.node_actions == [("create", MANAGED, 246, 3, 0o600)]
    assert plan.tap["mode"] == "0600" and plan.tap["uid"] == 0


def test_devtmpfs_node_is_owned_in_place():
    plan = node_plan(TapWanted(MANAGED, group=36, mode=0o660), node=found())
    assert plan.node_actions == [("chown", "/dev/tap7", 0, 36), ("chmod", "/dev/tap7", 0o660)]
    assert plan.tap["path"] == "/dev/tap7" and plan.tap["created"] is False


def test_node_already_right_is_no_change():
    plan = node_plan(TapWanted(MANAGED, owner=107, group=36, mode=0o660), node=found(uid=107, gid=36, mode=0o660))
    assert not plan.changed


def test_unset_ownership_is_dont_care():
    plan = node_plan(TapWanted(MANAGED), node=found(uid=5, gid=6, mode=0o644))
    assert not plan.changed and plan.tap["uid"] == 5 and plan.tap["mode"] == "0644"


def test_stale_node_of_a_recreated_link_is_removed_when_devtmpfs_has_the_right_one():
    plan = DevicePlan()
    plan_tap_node(TapWanted(MANAGED), (246, 3), found(), MANAGED, plan, stale=True)
    assert plan.node_actions == [("remove", MANAGED)] and plan.tap["path"] == "/dev/tap7"


def test_link_still_to_be_created_predicts_no_path():
    plan = node_plan(TapWanted(MANAGED, mode=0o660), numbers=None)
    assert not plan.changed and plan.tap["path"] is None and plan.tap["mode"] == "0660"


SYSCTLS_ON = {"disable_ipv6": 0, "addr_gen_mode": 0, "default_addr_gen_mode": 0}
SYSCTLS_OFF = {"disable_ipv6": 1, "addr_gen_mode": 1, "default_addr_gen_mode": 0}


@pytest.mark.parametrize("wanted,sysctls,writes,end", [
    (False, SYSCTLS_ON, [("addr_gen_mode", 1), ("disable_ipv6", 1)], False),
    (False, SYSCTLS_OFF, [], False),
    (False, dict(SYSCTLS_ON, addr_gen_mode=1), [("disable_ipv6", 1)], False),
    (True, SYSCTLS_OFF, [("addr_gen_mode", 0), ("disable_ipv6", 0)], True),
    (True, dict(SYSCTLS_OFF, default_addr_gen_mode=2), [("addr_gen_mode", 2), ("disable_ipv6", 0)], True),
    (True, dict(SYSCTLS_OFF, default_addr_gen_mode=1), [("addr_gen_mode", 0), ("disable_ipv6", 0)], True),
    (True, SYSCTLS_ON, [], True),
    (None, SYSCTLS_OFF, [], False),
    (False, None, [], False),
])
def test_ipv6_plans(wanted, sysctls, writes, end):
    plan = DevicePlan()
    plan_ipv6(wanted, sysctls, "mvt0", WHERE, plan)
    assert plan.sysctl_writes == writes and plan.ipv6 is end


def test_ipv6_true_without_ipv6_in_the_kernel_is_refused():
    with pytest.raises(MacvlanError, match="^ipv6: true, but namespace 'lab' has no IPv6 settings for link mvt0"):
        plan_ipv6(True, None, "mvt0", WHERE, DevicePlan())
    assert ipv6_enabled(None) is None


def _desired(**kw) -> DesiredLink:
    base = {"name": "mvt0", "netns": "lab", "where": WHERE, "parent": "eth0", "kind": "macvtap", "new_mac": "02:00:00:00:00:aa"}
    return DesiredLink(**dict(base, **kw))


def _observed(**kw) -> ObservedLink:
    base = {"name": "mvt0", "ifindex": 7, "kind": "macvtap", "parent": "eth0", "parent_ifindex": 2, "mode": "bridge",
            "mac_address": "02:00:00:00:00:aa", "mtu": 1500, "up": True, "addresses": [], "routes": [], "numtxqueues": 4, "numrxqueues": 4}
    return ObservedLink(**dict(base, **kw))


def test_queue_count_is_created_and_predicted():
    plan = plan_link_changes(_desired(numtxqueues=4, numrxqueues=2), None, PARENT)
    spec = plan.actions[0].arg
    assert (spec.numtxqueues, spec.numrxqueues) == (4, 2)
    assert (plan.after.numtxqueues, plan.after.numrxqueues) == (4, 2)
    assert plan_link_changes(_desired(), None, PARENT).after.numtxqueues == 1


def test_queue_count_change_needs_recreate():
    with pytest.raises(MacvlanError, match=r"numtxqueues: 4 -> 2 \(fixed when the link is created\).*recreate: options-changed"):
        plan_link_changes(_desired(numtxqueues=2), _observed(), PARENT)
    plan = plan_link_changes(_desired(numtxqueues=2, recreate="options-changed"), _observed(), PARENT)
    assert plan.recreated and plan.recreate_reasons == ["numtxqueues: 4 -> 2 (fixed when the link is created)"]
    delete = plan.actions[0]
    assert delete.op is Op.DELETE and delete.undo[0].arg.numtxqueues == 4  # the old link comes back with its queues
    assert plan.actions[1].arg.numtxqueues == 2 and plan.actions[1].arg.numrxqueues == 4


def test_same_or_unset_queue_count_is_no_change():
    assert not plan_link_changes(_desired(numtxqueues=4, numrxqueues=4), _observed(), PARENT).changed
    assert not plan_link_changes(_desired(), _observed(), PARENT).changed


def test_bulk_create_request_carries_the_queue_counts_and_the_decoder_reads_them():
    from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import LinkSpec
    from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.bulk import create_request, parse_link

    def decoded(**queues):
        spec = LinkSpec(name="mvt0", kind="macvtap", parent="eth0", parent_ifindex=2, mode="bridge", mac_address=None, mtu=None,
                        flags=None, bcqueuelen=None, bc_cutoff=None, source_macs=[], addresses=[], routes=[], up=True, **queues)
        body = create_request(spec, None)[2]
        return parse_link(body, 0, len(body))[0]

    link = decoded(numtxqueues=4, numrxqueues=2)
    assert (link.numtxqueues, link.numrxqueues) == (4, 2)
    link = decoded()
    assert (link.numtxqueues, link.numrxqueues) == (None, None)
