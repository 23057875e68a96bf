"""The pure planner: every decision, without a kernel."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import (
    Action,
    DesiredLink,
    ObservedLink,
    Op,
    ParentInfo,
    Sibling,
)
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.link_plan import (
    plan_link_changes,
    unapplied_attributes,
)

WHERE = "namespace 'lab'"
PARENT = ParentInfo(name="eth0", ifindex=2, mtu=1500, mac_address="02:00:00:00:00:02", where=WHERE)


def desired(**kw) -> DesiredLink:
    base = {"name": "mv0", "netns": "lab", "where": WHERE, "parent": "eth0", "up": True, "new_mac": "02:00:00:00:00:aa"}
    base.update(kw)
    return DesiredLink(**base)


def observed(**kw) -> ObservedLink:
    base = {
        "name": "mv0",
        "ifindex": 7,
        "kind": "macvlan",
        "parent": "eth0",
        "parent_ifindex": 2,
        "mode": "bridge",
        "mac_address": "02:00:00:00:00:aa",
        "mtu": 1500,
        "up": True,
        "bcqueuelen": 1000,
        "bc_cutoff": 1,
        "addresses": [],
        "routes": [],
    }
    base.update(kw)
    return ObservedLink(**base)


def plan(d: DesiredLink, o: ObservedLink | None, parent: ParentInfo | None = PARENT):
    return plan_link_changes(d, o, parent)


def ops(p) -> list[str]:
    return [action.op.value for action in p.actions]


def args(p) -> list:
    return [action.arg for action in p.actions]


def test_create_defaults_to_bridge_with_generated_mac_and_up():
    p = plan(desired(), None)
    assert ops(p) == ["create"] and p.actions[0].arg.up is True
    spec = p.actions[0].arg
    assert spec.mode == "bridge" and spec.mac_address == "02:00:00:00:00:aa" and spec.parent_ifindex == 2
    assert p.after.mtu == 1500 and p.after.up is True and p.after.ifindex is None
    assert p.created and not p.recreated


@pytest.mark.parametrize("mode", ["bridge", "vepa", "private", "passthru", "source"])
def test_create_in_every_mode(mode):
    p = plan(desired(mode=mode), None)
    assert p.actions[0].arg.mode == mode
    assert p.after.mode == mode


def test_create_orders_addresses_before_up_before_routes():
    route = {"dst": "0.0.0.0/0", "gateway": "10.0.0.1", "metric": 0}
    p = plan(desired(addresses=["10.0.0.2/24"], routes=[route], mode="source", source_macs=["02:00:00:00:00:01"]), None)
    assert ops(p) == ["create", "set_source_macs", "add_address", "add_route"]


def test_create_down_does_not_bring_up():
    p = plan(desired(up=False), None)
    assert ops(p) == ["create"] and p.actions[0].arg.up is False
    assert p.after.up is False


def test_create_without_parent_fails_naming_parent_and_namespace():
    with pytest.raises(MacvlanError, match=r"parent: link mv0 does not exist in namespace 'lab'"):
        plan(desired(parent=None), None, parent=None)


def test_unchanged_link_has_no_actions():
    p = plan(desired(), observed())
    assert p.actions == [] and not p.changed
    assert p.after == observed()


@pytest.mark.parametrize(
    "before, after",
    [("bridge", "private"), ("private", "vepa"), ("vepa", "bridge"), ("bridge", "source"), ("source", "private")],
)
def test_live_mode_changes_keep_the_link(before, after):
    p = plan(desired(mode=after), observed(mode=before))
    assert ops(p) == ["set_info_data"]
    assert p.actions[0].arg == {"mode": after}
    assert p.actions[0].undo == (Action(Op.SET_INFO_DATA, {"mode": before}),)
    assert p.after.ifindex == 7 and p.after.mode == after


@pytest.mark.parametrize("before, after", [("bridge", "passthru"), ("passthru", "vepa")])
def test_passthru_transitions_need_recreate(before, after):
    with pytest.raises(MacvlanError) as err:
        plan(desired(mode=after), observed(mode=before))
    message = str(err.value)
    assert f"mode: {before} -> {after}" in message and "recreate: options-changed" in message and WHERE in message


def test_parent_and_kind_changes_are_listed_together():
    with pytest.raises(MacvlanError) as err:
        plan(desired(kind="macvtap", parent="eth1"), observed(), dataclasses.replace(PARENT, name="eth1", ifindex=3))
    assert "kind: macvlan -> macvtap" in str(err.value)
    assert "parent: eth0 -> eth1" in str(err.value)


@pytest.mark.parametrize(
    "lower, label",
    [
        ({"parent": "eth1", "parent_ifindex": 5, "parent_netnsid": 0}, "eth1 in namespace 'h1'"),
        ({"parent": None, "parent_ifindex": 2, "parent_netnsid": 1}, "ifindex 2 in another namespace (peer id 1)"),
        ({"parent": "veth9", "parent_ifindex": 3, "parent_netnsid": None}, "veth9 in namespace 'c1'"),
    ],
)
def test_a_link_on_another_namespace_s_lower_device_is_named_where_it_lives(lower, label):
    """macvlan_netns: the parent lives in 'h1', which the target 'c1' knows by id 0."""
    remote = ParentInfo(name="eth0", ifindex=2, mtu=1500, mac_address=None, where="namespace 'h1'", netnsid=0)
    d = desired(netns="c1", where="namespace 'c1'", name="eth0")
    with pytest.raises(MacvlanError) as err:
        plan(d, observed(name="eth0", **lower), remote)
    assert f"parent: {label} -> eth0 in namespace 'h1'" in str(err.value) and "namespace 'c1'" in str(err.value)
    replaced = plan(dataclasses.replace(d, recreate="options-changed"), observed(name="eth0", **lower), remote)
    assert replaced.recreated and ops(replaced)[:2] == ["delete", "create"]


def test_recreate_keeps_mac_addresses_routes_and_up():
    route = {"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}
    before = observed(mode="bridge", mac_address="02:11:11:11:11:11", addresses=["10.0.0.2/24"], routes=[route], mtu=1400)
    p = plan(desired(mode="passthru", recreate="options-changed", new_mac=None), before)
    assert ops(p) == ["delete", "create", "add_address", "add_route"]
    spec = p.actions[1].arg
    assert spec.mac_address == "02:11:11:11:11:11" and spec.mtu == 1400 and spec.mode == "passthru"
    assert p.recreated and p.recreate_reasons == ["mode: bridge -> passthru (passthru cannot be entered or left on a live link)"]
    assert p.after.addresses == ["10.0.0.2/24"] and p.after.routes == [route]


def test_a_replaced_link_can_be_put_back_as_it_was():
    route = {"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}
    before = observed(mode="vepa", mac_address="02:11:11:11:11:11", addresses=["10.0.0.2/24"], routes=[route], mtu=1400, up=True)
    p = plan(desired(kind="macvtap", recreate="options-changed"), before)
    restore = p.actions[0].undo
    assert [a.op.value for a in restore] == ["create", "add_address", "add_route"]
    spec = restore[0].arg
    assert (spec.kind, spec.mode, spec.mac_address, spec.mtu, spec.parent_ifindex) == ("macvlan", "vepa", "02:11:11:11:11:11", 1400, 2)
    assert p.restore_impossible is None


def test_a_replaced_link_on_an_unreachable_lower_device_cannot_be_put_back():
    remote = ParentInfo(name="eth0", ifindex=2, mtu=1500, mac_address=None, where="namespace 'h1'", netnsid=0)
    p = plan(desired(recreate="options-changed"), observed(parent_netnsid=4), remote)
    assert p.actions[0].undo == () and "another namespace (peer id 4)" in p.restore_impossible


def test_recreating_without_a_parent_needs_the_lower_device_in_reach():
    assert plan(desired(parent=None, recreate="always"), observed(), None).actions[1].arg.parent_ifindex == 2
    with pytest.raises(MacvlanError, match="needs the parent"):
        plan(desired(parent=None, recreate="always"), observed(parent_netnsid=3), None)


def test_recreate_uses_an_explicit_new_mac():
    p = plan(desired(kind="macvtap", recreate="options-changed", mac_address="02:22:22:22:22:22"), observed())
    assert p.actions[1].arg.mac_address == "02:22:22:22:22:22"
    assert p.actions[1].arg.kind == "macvtap"


def test_recreate_always_recreates_even_when_equal():
    p = plan(desired(recreate="always"), observed())
    assert ops(p)[:2] == ["delete", "create"] and p.recreate_reasons == ["recreate: always"]


def test_recreate_options_changed_is_a_no_op_when_nothing_differs():
    assert not plan(desired(recreate="options-changed"), observed()).changed


@pytest.mark.parametrize("kind", ["veth", "bridge", None])
def test_a_foreign_link_is_never_touched(kind):
    for state in ("present", "absent"):
        with pytest.raises(MacvlanError, match="not a macvlan or macvtap; refusing"):
            plan(desired(state=state, recreate="always"), observed(kind=kind))


def test_absent():
    assert ops(plan(desired(state="absent"), observed(), None)) == ["delete"]
    p = plan(desired(state="absent"), None, None)
    assert not p.changed and p.after is None


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
        plan(desired(**kw), None)
    assert fragment in str(err.value) and WHERE in str(err.value)


def test_flags_are_validated_against_the_observed_mode_when_mode_is_omitted():
    p = plan(desired(flags=["nodst"]), observed(mode="source"))
    assert [(a.op, a.arg) for a in p.actions] == [(Op.SET_INFO_DATA, {"flags": ["nodst"]})]
    with pytest.raises(MacvlanError):
        plan(desired(flags=["nodst"]), observed(mode="bridge"))


def test_flags_exact_set_clears():
    p = plan(desired(flags=[]), observed(mode="passthru", flags=["nopromisc"]))
    assert p.actions[0].arg == {"flags": []}


def test_source_macs_exact_set():
    before = observed(mode="source", source_macs=["02:00:00:00:00:01", "02:00:00:00:00:02"])
    p = plan(desired(source_macs=["02:00:00:00:00:03"]), before)
    assert [(a.op, a.arg) for a in p.actions] == [(Op.SET_SOURCE_MACS, ["02:00:00:00:00:03"])]
    assert p.actions[0].undo == (Action(Op.SET_SOURCE_MACS, ["02:00:00:00:00:01", "02:00:00:00:00:02"]),)
    assert not plan(desired(source_macs=["02:00:00:00:00:02", "02:00:00:00:00:01"]), before).changed


def test_bcqueuelen_and_cutoff_change_in_place_and_are_read_back():
    p = plan(desired(bcqueuelen=200, bc_cutoff=4), observed())
    assert p.actions[0].arg == {"bcqueuelen": 200, "bc_cutoff": 4}
    assert p.verify == {"bcqueuelen": 200, "bc_cutoff": 4}
    assert plan(desired(bcqueuelen=200), None).verify == {"bcqueuelen": 200}


@pytest.mark.parametrize("attr, read", [("bcqueuelen", None), ("bc_cutoff", 1)])
def test_an_attribute_the_kernel_ignored_is_found_on_read_back(attr, read):
    p = plan(desired(**{attr: 7}), observed())
    assert unapplied_attributes(p, observed(**{attr: read})) == [(attr, 7, read)]
    assert unapplied_attributes(p, observed(**{attr: 7})) == []


def test_mac_and_mtu_change_in_place_but_the_stable_mac_is_only_for_creation():
    p = plan(desired(mac_address="02:33:33:33:33:33", mtu=1400, new_mac="02:99:99:99:99:99"), observed())
    assert [(a.op, a.arg) for a in p.actions] == [(Op.SET_LINK, {"mac_address": "02:33:33:33:33:33", "mtu": 1400})]
    assert p.actions[0].undo == (Action(Op.SET_LINK, {"mac_address": "02:00:00:00:00:aa", "mtu": 1500}),)
    assert not plan(desired(new_mac="02:99:99:99:99:99"), observed()).changed


@pytest.mark.parametrize("mtu, fragment", [(20, "between 68 and 65535"), (70000, "between 68 and 65535"), (9000, "has MTU 1500")])
def test_mtu_bounds(mtu, fragment):
    for before in (None, observed()):
        with pytest.raises(MacvlanError) as err:
            plan(desired(mtu=mtu), before)
        assert f"mtu={mtu}" in str(err.value) and fragment in str(err.value) and WHERE in str(err.value)
    assert plan(desired(mtu=1500), None).after.mtu == 1500


def test_up_down():
    assert [(a.op, a.arg) for a in plan(desired(up=False), observed()).actions] == [(Op.SET_LINK, {"up": False})]
    assert not plan(desired(up=None), observed(up=False)).changed


def test_addresses_exact_set_removes_before_adding():
    before = observed(addresses=["10.0.0.1/24", "2001:db8::1/64"])
    p = plan(desired(addresses=["10.0.0.2/24", "2001:db8::1/64"]), before)
    assert [(a.op, a.arg) for a in p.actions] == [(Op.DEL_ADDRESS, "10.0.0.1/24"), (Op.ADD_ADDRESS, "10.0.0.2/24")]
    assert p.after.addresses == ["10.0.0.2/24", "2001:db8::1/64"]
    assert ops(plan(desired(addresses=[]), before)) == ["del_address", "del_address"]
    assert not plan(desired(addresses=None), before).changed


def test_routes_exact_set_by_destination_gateway_and_metric():
    keep = {"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}
    old = {"dst": "0.0.0.0/0", "gateway": "10.0.0.1", "metric": 0}
    new = {"dst": "0.0.0.0/0", "gateway": "10.0.0.254", "metric": 0}
    p = plan(desired(routes=[keep, new]), observed(routes=[keep, old]))
    assert [(a.op, a.arg) for a in p.actions] == [(Op.DEL_ROUTE, old), (Op.ADD_ROUTE, new)]
    assert not plan(desired(routes=[keep]), observed(routes=[keep])).changed


def test_kept_routes_are_restored_after_an_address_is_removed():
    """The kernel flushes routes whose gateway a removed address made reachable."""
    route = {"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}
    before = observed(addresses=["10.0.0.2/24"], routes=[route])
    p = plan(desired(addresses=["10.0.0.3/24"], routes=[route]), before)
    assert ops(p) == ["del_address", "add_address", "restore_route"]
    # Undoing the removal puts the address and the routes it carried back.
    assert p.actions[0].undo == (Action(Op.ADD_ADDRESS, "10.0.0.2/24"), Action(Op.RESTORE_ROUTE, route))
    # Adding an address alone flushes nothing; unmanaged routes are not the planner's business.
    assert ops(plan(desired(addresses=["10.0.0.2/24", "10.0.0.3/24"], routes=[route]), before)) == ["add_address"]
    assert ops(plan(desired(addresses=["10.0.0.3/24"]), before)) == ["del_address", "add_address"]


@pytest.mark.parametrize(
    "owner, message",
    [
        (Sibling(ifindex=9, name="mv9", kind="macvlan", mac_address="02:00:00:00:00:aa"), "already used by macvlan mv9 on parent eth0"),
        (Sibling(ifindex=9, name="tap9", kind="macvtap", mac_address="02:00:00:00:00:aa"), "already used by macvtap tap9 on parent eth0"),
    ],
)
def test_a_mac_another_link_on_the_parent_uses_is_refused(owner, message):
    with pytest.raises(MacvlanError) as err:
        plan(desired(), None, dataclasses.replace(PARENT, siblings=(owner,)))
    assert message in str(err.value) and "wanted for link mv0 in namespace 'lab'" in str(err.value)
    with pytest.raises(MacvlanError, match="already used by parent eth0"):
        plan(desired(new_mac="02:00:00:00:00:02"), None)


@pytest.mark.parametrize("kind", ["macvlan", "macvtap"])
def test_the_link_being_replaced_is_not_its_own_rival(kind):
    """Compared by ifindex: a macvtap re-created on its parent keeps its MAC."""
    me = Sibling(ifindex=7, name="mv0", kind=kind, mac_address="02:00:00:00:00:aa")
    p = plan(desired(kind=kind, recreate="always"), observed(kind=kind), dataclasses.replace(PARENT, siblings=(me,)))
    assert p.actions[1].arg.mac_address == "02:00:00:00:00:aa"
    # A same-named link in another namespace is another link.
    remote = dataclasses.replace(PARENT, netnsid=0, siblings=(me,))
    with pytest.raises(MacvlanError, match=f"already used by {kind} mv0"):
        plan(desired(kind=kind, recreate="always"), observed(kind=kind, parent_netnsid=0), remote)


def test_a_passthru_link_takes_the_parent_mac():
    assert plan(desired(mode="passthru", new_mac="02:00:00:00:00:02"), None).created


def test_planner_does_not_mutate_its_inputs():
    d, o = desired(mode="vepa", addresses=["10.0.0.2/24"]), observed()
    d_copy, o_copy = copy.deepcopy(d), copy.deepcopy(o)
    plan(d, o)
    assert d == d_copy and o == o_copy


def test_an_exact_entry_puts_unset_options_back_to_their_defaults():
    before = observed(mode="vepa", mtu=1400, up=False, addresses=["10.0.0.2/24"], routes=[{"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}])
    p = plan(desired(exact=True, up=None), before)
    assert ops(p) == ["set_info_data", "set_link", "del_address", "set_link", "del_route"]
    assert (p.after.mode, p.after.mtu, p.after.up, p.after.addresses, p.after.routes) == ("bridge", 1500, True, [], [])
    # The MAC and the broadcast queue stay: they are not reset.
    assert p.after.mac_address == before.mac_address and p.after.bcqueuelen == 1000
    assert not plan(desired(exact=True), observed()).changed
