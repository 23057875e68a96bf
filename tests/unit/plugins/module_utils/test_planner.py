"""The pure planner: every decision, without a kernel."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner import creation_spec_of, plan_link_changes

WHERE = "namespace 'lab'"
PARENT = {"parent": "eth0", "parent_ifindex": 2, "parent_netnsid": None, "parent_mtu": 1500}


def desired(**kw) -> dict:
    base = {
        "name": "mv0",
        "state": "present",
        "kind": "macvlan",
        "mode": None,
        "mtu": None,
        "up": True,
        "flags": None,
        "bcqueuelen": None,
        "bc_cutoff": None,
        "recreate": "never",
        "mac_address": None,
        "source_macs": None,
        "addresses": None,
        "routes": None,
        "generated_mac": "02:00:00:00:00:aa",
    }
    base.update(PARENT)
    base.update(kw)
    return base


def observed(**kw) -> dict:
    base = {
        "name": "mv0",
        "ifindex": 7,
        "kind": "macvlan",
        "parent": "eth0",
        "parent_ifindex": 2,
        "parent_netnsid": None,
        "mode": "bridge",
        "mac_address": "02:00:00:00:00:aa",
        "mtu": 1500,
        "up": True,
        "flags": [],
        "source_macs": [],
        "bcqueuelen": 1000,
        "bc_cutoff": 1,
        "addresses": [],
        "routes": [],
        "promisc": False,
    }
    base.update(kw)
    return base


def ops(plan) -> list[str]:
    return [op for op, _args in plan.actions]


def test_create_defaults_to_bridge_with_generated_mac_and_up():
    plan = plan_link_changes(desired(), None, WHERE)
    assert ops(plan) == ["create", "set_link"]
    spec = plan.actions[0][1]
    assert spec["mode"] == "bridge" and spec["mac_address"] == "02:00:00:00:00:aa" and spec["parent_ifindex"] == 2
    assert plan.after["mtu"] == 1500 and plan.after["up"] is True and plan.after["ifindex"] is None
    assert plan.created and not plan.recreated


@pytest.mark.parametrize("mode", ["bridge", "vepa", "private", "passthru", "source"])
def test_create_in_every_mode(mode):
    plan = plan_link_changes(desired(mode=mode), None, WHERE)
    assert plan.actions[0][1]["mode"] == mode
    assert plan.after["mode"] == mode


def test_create_orders_addresses_before_up_before_routes():
    route = {"dst": "0.0.0.0/0", "gateway": "10.0.0.1", "metric": 0}
    plan = plan_link_changes(desired(addresses=["10.0.0.2/24"], routes=[route], mode="source", source_macs=["02:00:00:00:00:01"]), None, WHERE)
    assert ops(plan) == ["create", "set_source_macs", "add_address", "set_link", "add_route"]


def test_create_down_does_not_bring_up():
    plan = plan_link_changes(desired(up=False), None, WHERE)
    assert ops(plan) == ["create"]
    assert plan.after["up"] is False


def test_create_without_parent_fails_naming_parent_and_namespace():
    with pytest.raises(MacvlanError, match=r"parent: link mv0 does not exist in namespace 'lab'"):
        plan_link_changes(desired(parent=None, parent_ifindex=None), None, WHERE)


def test_unchanged_link_has_no_actions():
    plan = plan_link_changes(desired(), observed(), WHERE)
    assert plan.actions == [] and not plan.changed
    assert plan.after == observed()


@pytest.mark.parametrize(
    "before, after",
    [("bridge", "private"), ("private", "vepa"), ("vepa", "bridge"), ("bridge", "source"), ("source", "private")],
)
def test_live_mode_changes_keep_the_link(before, after):
    plan = plan_link_changes(desired(mode=after), observed(mode=before), WHERE)
    assert ops(plan) == ["set_info_data"]
    assert plan.actions[0][1]["changes"] == {"mode": after}
    assert plan.after["ifindex"] == 7 and plan.after["mode"] == after


@pytest.mark.parametrize("before, after", [("bridge", "passthru"), ("passthru", "vepa")])
def test_passthru_transitions_need_recreate(before, after):
    with pytest.raises(MacvlanError) as err:
        plan_link_changes(desired(mode=after), observed(mode=before), WHERE)
    message = str(err.value)
    assert f"mode: {before} -> {after}" in message and "recreate: options-changed" in message and WHERE in message


def test_parent_and_kind_changes_are_listed_together():
    with pytest.raises(MacvlanError) as err:
        plan_link_changes(desired(kind="macvtap", parent="eth1", parent_ifindex=3), observed(), WHERE)
    assert "kind: macvlan -> macvtap" in str(err.value)
    assert "parent: eth0 -> eth1" in str(err.value)


def test_recreate_keeps_mac_addresses_routes_and_up():
    route = {"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}
    before = observed(mode="bridge", mac_address="02:11:11:11:11:11", addresses=["10.0.0.2/24"], routes=[route], mtu=1400)
    plan = plan_link_changes(desired(mode="passthru", recreate="options-changed", generated_mac=None), before, WHERE)
    assert ops(plan) == ["delete", "create", "add_address", "set_link", "add_route"]
    spec = plan.actions[1][1]
    assert spec["mac_address"] == "02:11:11:11:11:11" and spec["mtu"] == 1400 and spec["mode"] == "passthru"
    assert plan.recreated and plan.recreate_reasons == ["mode: bridge -> passthru (passthru cannot be entered or left on a live link)"]
    assert plan.after["addresses"] == ["10.0.0.2/24"] and plan.after["routes"] == [route]


def test_recreate_uses_an_explicit_new_mac():
    plan = plan_link_changes(desired(kind="macvtap", recreate="options-changed", mac_address="02:22:22:22:22:22"), observed(), WHERE)
    assert plan.actions[1][1]["mac_address"] == "02:22:22:22:22:22"
    assert plan.actions[1][1]["kind"] == "macvtap"


def test_recreate_always_recreates_even_when_equal():
    plan = plan_link_changes(desired(recreate="always"), observed(), WHERE)
    assert ops(plan)[:2] == ["delete", "create"] and plan.recreate_reasons == ["recreate: always"]


def test_recreate_options_changed_is_a_no_op_when_nothing_differs():
    assert not plan_link_changes(desired(recreate="options-changed"), observed(), WHERE).changed


@pytest.mark.parametrize("kind", ["veth", "bridge", None])
def test_a_foreign_link_is_never_touched(kind):
    for state in ("present", "absent"):
        with pytest.raises(MacvlanError, match="not a macvlan or macvtap; refusing"):
            plan_link_changes(desired(state=state, recreate="always"), observed(kind=kind), WHERE)


def test_absent():
    assert ops(plan_link_changes(desired(state="absent"), observed(), WHERE)) == ["delete"]
    plan = plan_link_changes(desired(state="absent"), None, WHERE)
    assert not plan.changed and plan.after is None


@pytest.mark.parametrize(
    "kw, fragment",
    [
        ({"mode": "bridge", "flags": ["nopromisc"]}, "'nopromisc' needs mode passthru"),
        ({"mode": "passthru", "flags": ["nodst"]}, "'nodst' needs mode source"),
        ({"mode": "vepa", "source_macs": ["02:00:00:00:00:01"]}, "source_macs: only a mode source link"),
    ],
)
def test_flag_and_source_list_need_their_mode(kw, fragment):
    with pytest.raises(MacvlanError) as err:
        plan_link_changes(desired(**kw), None, WHERE)
    assert fragment in str(err.value) and WHERE in str(err.value)


def test_flags_are_validated_against_the_observed_mode_when_mode_is_omitted():
    plan = plan_link_changes(desired(flags=["nodst"]), observed(mode="source"), WHERE)
    assert plan.actions == [("set_info_data", {"ifindex": 7, "kind": "macvlan", "changes": {"flags": ["nodst"]}})]
    with pytest.raises(MacvlanError):
        plan_link_changes(desired(flags=["nodst"]), observed(mode="bridge"), WHERE)


def test_flags_exact_set_clears():
    plan = plan_link_changes(desired(flags=[]), observed(mode="passthru", flags=["nopromisc"]), WHERE)
    assert plan.actions[0][1]["changes"] == {"flags": []}


def test_source_macs_exact_set():
    before = observed(mode="source", source_macs=["02:00:00:00:00:01", "02:00:00:00:00:02"])
    plan = plan_link_changes(desired(source_macs=["02:00:00:00:00:03"]), before, WHERE)
    assert plan.actions == [("set_source_macs", {"macs": ["02:00:00:00:00:03"]})]
    assert not plan_link_changes(desired(source_macs=["02:00:00:00:00:02", "02:00:00:00:00:01"]), before, WHERE).changed


def test_bcqueuelen_and_cutoff_change_in_place():
    plan = plan_link_changes(desired(bcqueuelen=200, bc_cutoff=4), observed(), WHERE)
    assert plan.actions[0][1]["changes"] == {"bcqueuelen": 200, "bc_cutoff": 4}


def test_mac_and_mtu_change_in_place_but_generated_mac_is_only_for_creation():
    plan = plan_link_changes(desired(mac_address="02:33:33:33:33:33", mtu=1400, generated_mac="02:99:99:99:99:99"), observed(), WHERE)
    assert plan.actions == [("set_link", {"mac_address": "02:33:33:33:33:33", "mtu": 1400})]
    assert not plan_link_changes(desired(generated_mac="02:99:99:99:99:99"), observed(), WHERE).changed


def test_up_down():
    assert plan_link_changes(desired(up=False), observed(), WHERE).actions == [("set_link", {"up": False})]
    assert not plan_link_changes(desired(up=None), observed(up=False), WHERE).changed


def test_addresses_exact_set_removes_before_adding():
    before = observed(addresses=["10.0.0.1/24", "2001:db8::1/64"])
    plan = plan_link_changes(desired(addresses=["10.0.0.2/24", "2001:db8::1/64"]), before, WHERE)
    assert plan.actions == [("del_address", {"cidr": "10.0.0.1/24"}), ("add_address", {"cidr": "10.0.0.2/24"})]
    assert plan.after["addresses"] == ["10.0.0.2/24", "2001:db8::1/64"]
    assert ops(plan_link_changes(desired(addresses=[]), before, WHERE)) == ["del_address", "del_address"]
    assert not plan_link_changes(desired(addresses=None), before, WHERE).changed


def test_routes_exact_set_by_destination_gateway_and_metric():
    keep = {"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}
    old = {"dst": "0.0.0.0/0", "gateway": "10.0.0.1", "metric": 0}
    new = {"dst": "0.0.0.0/0", "gateway": "10.0.0.254", "metric": 0}
    plan = plan_link_changes(desired(routes=[keep, new]), observed(routes=[keep, old]), WHERE)
    assert plan.actions == [("del_route", {"route": old}), ("add_route", {"route": new})]
    assert not plan_link_changes(desired(routes=[keep]), observed(routes=[keep]), WHERE).changed


def test_planner_does_not_mutate_its_inputs():
    d, o = desired(mode="vepa", addresses=["10.0.0.2/24"]), observed()
    d_copy, o_copy = copy.deepcopy(d), copy.deepcopy(o)
    plan_link_changes(d, o, WHERE)
    assert d == d_copy and o == o_copy


def test_creation_spec_of_reproduces_an_observed_link():
    spec = creation_spec_of(observed(mode="source", source_macs=["02:00:00:00:00:01"], addresses=["10.0.0.2/24"], mtu=1400))
    assert spec["mode"] == "source" and spec["source_macs"] == ["02:00:00:00:00:01"]
    assert spec["mac_address"] == "02:00:00:00:00:aa" and spec["mtu"] == 1400 and spec["addresses"] == ["10.0.0.2/24"]
