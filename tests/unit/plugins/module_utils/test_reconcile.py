"""The reconcile run and its undo, against an in-memory fake of the backend (no kernel).

The fake keeps links, addresses and routes the way the kernel does for what these tests
need (ifindexes, a MAC per link, routes flushed with the address that made their gateway
reachable) and refuses a request on demand. The real-kernel suite proves the kernel side;
these prove the orchestration: what is called, in which order, and what is undone.
"""

from __future__ import annotations

import dataclasses
import errno
import ipaddress

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import KernelRefusal, MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.config_entries import LinkEntry
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.apply import apply_links
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.observer import NamespacePool
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.plan import plan_links
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.readback import read_back
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import DesiredLink, ObservedLink, ParentInfo, Sibling

WHERE = "namespace 'lab'"
PARENT_MAC = "02:00:00:00:00:02"


class FakeNetlink:
    """One namespace with a parent eth0 (ifindex 2)."""

    def __init__(self):
        self.where = WHERE
        self.netns = None
        # request -> what another process does just before this run's request reaches the kernel
        self.meanwhile: dict[str, list] = {}
        self.links: dict[int, ObservedLink] = {
            2: ObservedLink(name="eth0", ifindex=2, kind="veth", mac_address=PARENT_MAC, mtu=1500, up=True, addresses=[], routes=[])
        }
        self.next_index = 10
        self.calls: list[tuple] = []
        self.refuse: dict[tuple, int] = {}  # (request, detail) -> errno
        self.ignores_bcqueuelen = False

    # ---- helpers of the fake
    def _check(self, request: str, detail=None, ifindex=None) -> None:
        self.calls.append((request, detail))
        if self.meanwhile.get(request):
            self.meanwhile[request].pop(0)(self)
        if ifindex is not None and ifindex not in self.links:
            raise KernelRefusal(errno.ENODEV, "No such device", request, self.where)
        code = self.refuse.get((request, detail)) or self.refuse.get((request, None))
        if code:
            raise KernelRefusal(code, "refused by the fake", request, self.where)

    def _by_name(self, name: str) -> ObservedLink | None:
        return next((link for link in self.links.values() if link.name == name), None)

    def add_existing(self, **kw) -> ObservedLink:
        link = ObservedLink(**{"ifindex": self.next_index, "parent_ifindex": 2, "up": True, "mtu": 1500, "addresses": [], "routes": [], **kw})
        self.links[link.ifindex] = link
        self.next_index += 1
        return link

    # ---- reading
    def read_link(self, name=None, index=None, with_ip=True):
        link = self.links.get(index) if index is not None else self._by_name(name)
        if link is None:
            return None
        link = dataclasses.replace(link, addresses=list(link.addresses), routes=[dict(r) for r in link.routes])
        if self.ignores_bcqueuelen:
            link.bcqueuelen = None
        return link

    def read_parent(self, name):
        link = self._by_name(name)
        if link is None:
            raise MacvlanError(f"parent {name!r} does not exist in {self.where}")
        return ParentInfo(name=link.name, ifindex=link.ifindex, mtu=link.mtu, mac_address=link.mac_address, where=self.where)

    def siblings_of(self, parent_ifindex):
        self.calls.append(("siblings", parent_ifindex))
        return tuple(
            Sibling(ifindex=link.ifindex, name=link.name, kind=link.kind, mac_address=link.mac_address)
            for link in self.links.values()
            if link.parent_ifindex == parent_ifindex
        )

    def close(self):
        pass

    def dump_links_with_ip(self, kinds):
        self.calls.append(("dump", kinds))
        return [self.read_link(index=index) for index, link in sorted(self.links.items()) if link.kind in kinds]

    def dump_links(self):
        return [self.read_link(index=index) for index in sorted(self.links)]

    def default_route_device(self):
        return "eth0"

    def link_name(self, index):
        return self.links[index].name if index in self.links else None

    def ifindex_of(self, name):
        link = self._by_name(name)
        return link.ifindex if link else None

    def peer_nsid(self, netns):
        return None

    # ---- writing
    def create_macvlan(self, spec, into_netns_fd=None):
        self._check("link add", spec.mode)
        if spec.parent_ifindex not in self.links:
            raise KernelRefusal(errno.ENODEV, "No such device", "link add", self.where)
        if self._by_name(spec.name) is not None:
            raise KernelRefusal(errno.EEXIST, "File exists", "link add", self.where)
        mac = spec.mac_address or PARENT_MAC if spec.mode == "passthru" else spec.mac_address or "02:ee:ee:ee:ee:ee"
        self.add_existing(
            name=spec.name, kind=spec.kind, mode=spec.mode, mac_address=mac, bcqueuelen=spec.bcqueuelen, flags=list(spec.flags or [])
        )
        self.links[self.next_index - 1].up = spec.up

    def create_many(self, specs, into_netns_fd=None):
        answers = []
        for spec in specs:
            try:
                self.create_macvlan(spec, into_netns_fd)
                answers.append(None)
            except KernelRefusal as exc:
                answers.append(exc)
        return answers

    def delete_many(self, ifindexes):
        for ifindex in ifindexes:
            self.delete_link(ifindex)

    def delete_link(self, ifindex):
        self._check("link del", ifindex, ifindex)
        del self.links[ifindex]

    def set_info_data(self, ifindex, kind, changes):
        self._check("link set info", tuple(changes.items()), ifindex)
        for key, value in changes.items():
            setattr(self.links[ifindex], key, value)

    def set_source_macs(self, ifindex, kind, macs):
        self._check("link set macs")
        self.links[ifindex].source_macs = list(macs)

    def set_link(self, ifindex, changes):
        self._check("link set", tuple(changes.items()), ifindex)
        for key, value in changes.items():
            setattr(self.links[ifindex], key, value)

    def add_address(self, ifindex, cidr):
        self._check("addr add", cidr, ifindex)
        if cidr in self.links[ifindex].addresses:
            raise KernelRefusal(errno.EEXIST, "File exists", "addr add", self.where)
        self.links[ifindex].addresses.append(cidr)

    def del_address(self, ifindex, cidr):
        self._check("addr del", cidr)
        link = self.links[ifindex]
        link.addresses.remove(cidr)
        # The kernel flushes routes whose gateway only the removed address made reachable.
        reachable = [ipaddress.ip_interface(c).network for c in link.addresses]
        link.routes = [r for r in link.routes if not r["gateway"] or any(ipaddress.ip_address(r["gateway"]) in n for n in reachable)]

    def _reachable(self, link, route):
        return not route.get("gateway") or any(ipaddress.ip_address(route["gateway"]) in ipaddress.ip_interface(c).network for c in link.addresses)

    def add_route(self, ifindex, route):
        self._check("route add", route["dst"], ifindex)
        if any(r["dst"] == route["dst"] for r in self.links[ifindex].routes):
            raise KernelRefusal(errno.EEXIST, "File exists", "route add", self.where)
        if not self._reachable(self.links[ifindex], route):
            raise KernelRefusal(errno.ENETUNREACH, "Network is unreachable", "route add", self.where)
        self.links[ifindex].routes.append(dict(route))

    def replace_route(self, ifindex, route):
        self._check("route replace", route["dst"])
        link = self.links[ifindex]
        if not self._reachable(link, route):
            raise KernelRefusal(errno.ENETUNREACH, "Network is unreachable", "route replace", self.where)
        if route not in link.routes:
            link.routes.append(dict(route))

    def del_route(self, ifindex, route):
        self._check("route del", route["dst"])
        self.links[ifindex].routes.remove(route)


def desired(**kw) -> DesiredLink:
    base = {"name": "mv0", "netns": None, "where": WHERE, "parent": "eth0", "up": True, "mode": "bridge", "new_mac": "02:00:00:00:00:aa"}
    base.update(kw)
    return DesiredLink(**base)


class Outcome:
    """What the engine found, decided and left, for the entry of one run."""

    def __init__(self, item):
        self.plan, self.before, self.after = item.plan, item.before, item.after


def run(nl: FakeNetlink, d: DesiredLink, check_mode: bool = False) -> Outcome:
    """One entry through the engine's steps, with the fake backend as every namespace's socket."""
    with NamespacePool(open_socket=lambda netns: nl) as pool:
        (item,) = plan_links(pool, [LinkEntry(0, None, d.netns, d.parent, d.netns, d)], overridden=False)
        if check_mode:
            item.after = item.plan.after if item.plan.changed else item.before
        else:
            apply_links(pool, [item])
            read_back(pool, [item])
    return Outcome(item)


def changes(nl: FakeNetlink) -> list[tuple]:
    return [call for call in nl.calls if call[0] not in ("siblings", "dump")]


def test_create_then_nothing_to_do():
    nl = FakeNetlink()
    outcome = run(nl, desired(addresses=["10.0.0.2/24"]))
    assert outcome.plan.created and outcome.before is None
    assert outcome.after.ifindex == 10 and outcome.after.parent == "eth0" and outcome.after.up is True
    nl.calls.clear()
    again = run(nl, desired(addresses=["10.0.0.2/24"]))
    # An existing link: the namespace's one dump (link, siblings, addresses, routes) and no change.
    assert not again.plan.changed and nl.calls == [("dump", ("macvlan", "macvtap"))]


def test_check_mode_predicts_and_calls_nothing():
    nl = FakeNetlink()
    outcome = run(nl, desired(addresses=["10.0.0.2/24"]), check_mode=True)
    assert outcome.plan.changed and outcome.after.addresses == ["10.0.0.2/24"] and outcome.after.mac_address == "02:00:00:00:00:aa"
    assert changes(nl) == [] and list(nl.links) == [2]


def test_a_created_link_is_removed_when_a_later_step_fails():
    nl = FakeNetlink()
    route = {"dst": "10.9.0.0/16", "gateway": "192.0.2.1", "metric": 0}
    with pytest.raises(MacvlanError) as err:
        run(nl, desired(addresses=["10.0.0.2/24"], routes=[route]))
    message = str(err.value)
    assert message.startswith(f"adding route 10.9.0.0/16 via 192.0.2.1 on mv0 in {WHERE}: the gateway is not reachable")
    assert "the new link mv0 was removed again" in message
    assert list(nl.links) == [2]


def test_a_replaced_link_is_restored_when_its_recreation_fails():
    nl = FakeNetlink()
    route = {"dst": "10.9.0.0/16", "gateway": "10.0.0.1", "metric": 0}
    old = nl.add_existing(name="mv0", kind="macvlan", mode="vepa", mac_address="02:11:11:11:11:11", addresses=["10.0.0.2/24"], routes=[route])
    nl.refuse[("link add", "passthru")] = errno.EINVAL
    with pytest.raises(MacvlanError) as err:
        run(nl, desired(mode="passthru", recreate="options-changed"))
    assert "a passthru link needs the parent to itself" in str(err.value) and "the previous link mv0 was restored" in str(err.value)
    back = nl.read_link(name="mv0")
    assert (back.mode, back.mac_address, back.addresses, back.routes, back.up) == ("vepa", old.mac_address, ["10.0.0.2/24"], [route], True)
    assert [c[0] for c in changes(nl)] == ["link del", "link add", "link add", "addr add", "route add"]


def test_a_failed_read_back_undoes_a_recreation():
    nl = FakeNetlink()
    nl.add_existing(name="mv0", kind="macvlan", mode="bridge", mac_address="02:11:11:11:11:11")
    nl.ignores_bcqueuelen = True
    with pytest.raises(MacvlanError) as err:
        run(nl, desired(bcqueuelen=200, recreate="always"))
    assert "bcqueuelen=200: the running kernel" in str(err.value) and "the previous link mv0 was restored" in str(err.value)
    assert nl.read_link(name="mv0").mac_address == "02:11:11:11:11:11" and len(nl.links) == 2


def test_a_mac_in_use_is_refused_before_any_change():
    nl = FakeNetlink()
    nl.add_existing(name="mv9", kind="macvtap", mode="bridge", mac_address="02:00:00:00:00:aa")
    with pytest.raises(MacvlanError, match="already used by macvtap mv9 on parent eth0"):
        run(nl, desired())
    assert changes(nl) == []


def test_a_link_re_created_on_its_parent_keeps_its_own_mac():
    nl = FakeNetlink()
    nl.add_existing(name="mv0", kind="macvtap", mode="bridge", mac_address="02:11:11:11:11:11")
    outcome = run(nl, desired(kind="macvtap", recreate="always"))
    assert outcome.plan.recreated and outcome.after.mac_address == "02:11:11:11:11:11"


def test_kept_routes_come_back_after_an_address_change():
    nl = FakeNetlink()
    route = {"dst": "0.0.0.0/0", "gateway": "10.0.0.254", "metric": 0}
    nl.add_existing(name="mv0", kind="macvlan", mode="bridge", mac_address="02:00:00:00:00:aa", addresses=["10.0.0.2/24"], routes=[route])
    outcome = run(nl, desired(addresses=["10.0.0.3/24"], routes=[route]))
    assert outcome.after.addresses == ["10.0.0.3/24"] and outcome.after.routes == [route]
    assert [c[0] for c in changes(nl)] == ["addr del", "addr add", "route replace"]


def test_a_failing_live_change_is_undone_step_by_step():
    nl = FakeNetlink()
    route = {"dst": "10.9.0.0/16", "gateway": "10.0.0.254", "metric": 0}
    nl.add_existing(name="mv0", kind="macvlan", mode="bridge", mac_address="02:00:00:00:00:aa", addresses=["10.0.0.2/24"], routes=[route])
    with pytest.raises(MacvlanError) as err:
        run(nl, desired(mode="vepa", mtu=1400, addresses=["10.8.0.2/24"], routes=[route]))
    assert "restoring route 10.9.0.0/16 via 10.0.0.254 on mv0" in str(err.value) and "the changes to mv0 were undone" in str(err.value)
    back = nl.read_link(name="mv0")
    assert (back.mode, back.mtu, back.addresses, back.routes) == ("bridge", 1500, ["10.0.0.2/24"], [route])


def test_an_undo_that_fails_too_is_reported():
    nl = FakeNetlink()
    nl.add_existing(name="mv0", kind="macvlan", mode="bridge", mac_address="02:00:00:00:00:aa")
    nl.refuse[("link set", (("mtu", 1400),))] = errno.EPERM
    nl.refuse[("link set info", (("mode", "bridge"),))] = errno.EBUSY  # only the undo
    with pytest.raises(MacvlanError) as err:
        run(nl, desired(mode="vepa", mtu=1400))
    message = str(err.value)
    assert message.startswith(f"setting mtu=1400 on mv0 in {WHERE}: permission denied")
    assert "undoing it also failed: setting mode=bridge on mv0" in message


def test_absent_deletes_and_a_foreign_link_is_left_alone():
    nl = FakeNetlink()
    nl.add_existing(name="mv0", kind="macvlan", mode="bridge", mac_address="02:00:00:00:00:aa")
    assert run(nl, desired(state="absent", parent=None)).after is None and nl.read_link(name="mv0") is None
    with pytest.raises(MacvlanError, match="is a veth, not a macvlan"):
        run(nl, desired(name="eth0", state="absent", parent=None))
    assert nl.read_link(name="eth0") is not None


# ---- races: another process changes the link between this run's read and its write ----------


def _another_run_creates(nl: FakeNetlink, addresses: list[str]):
    def create(fake: FakeNetlink) -> None:
        fake.add_existing(name="mv0", kind="macvlan", mode="bridge", mac_address="02:00:00:00:00:aa", addresses=list(addresses))
    return create


def test_a_link_created_meanwhile_is_read_again_and_converged():
    """EEXIST on create: the other run made it; this one reads it again, adds what is missing, and
    reports what it found and did (not a creation)."""
    nl = FakeNetlink()
    nl.meanwhile["link add"] = [_another_run_creates(nl, [])]
    outcome = run(nl, desired(addresses=["10.0.0.2/24"]))
    assert not outcome.plan.created and outcome.plan.changed
    assert outcome.before is not None and outcome.before.addresses == []
    assert outcome.after.addresses == ["10.0.0.2/24"] and [link.name for link in nl.links.values()] == ["eth0", "mv0"]


def test_a_link_converged_meanwhile_reports_no_change():
    nl = FakeNetlink()
    nl.meanwhile["link add"] = [_another_run_creates(nl, ["10.0.0.2/24"])]
    outcome = run(nl, desired(addresses=["10.0.0.2/24"]))
    assert not outcome.plan.changed and outcome.before.addresses == ["10.0.0.2/24"]
    assert outcome.after.addresses == ["10.0.0.2/24"]


def test_an_address_and_a_route_added_meanwhile_are_no_error():
    nl = FakeNetlink()
    link = nl.add_existing(name="mv0", kind="macvlan", mode="bridge", mac_address="02:00:00:00:00:aa")
    route = {"dst": "10.9.0.0/16", "gateway": None, "metric": 0}
    nl.meanwhile["addr add"] = [lambda fake: fake.links[link.ifindex].addresses.append("10.0.0.2/24")]
    nl.meanwhile["route add"] = [lambda fake: fake.links[link.ifindex].routes.append(dict(route))]
    outcome = run(nl, desired(addresses=["10.0.0.2/24"], routes=[route]))
    assert not outcome.plan.changed
    assert nl.links[link.ifindex].addresses == ["10.0.0.2/24"] and nl.links[link.ifindex].routes == [route]


def test_a_link_deleted_meanwhile_is_created_again():
    """ENODEV: the link vanished between the read and the write; the second pass creates it."""
    nl = FakeNetlink()
    link = nl.add_existing(name="mv0", kind="macvlan", mode="vepa", mac_address="02:00:00:00:00:aa")
    nl.meanwhile["link set info"] = [lambda fake: fake.links.pop(link.ifindex)]
    outcome = run(nl, desired())
    assert outcome.plan.created and outcome.after.mode == "bridge" and outcome.after.ifindex != link.ifindex


def test_a_parent_deleted_between_plan_and_apply_fails_cleanly():
    nl = FakeNetlink()
    nl.meanwhile["link add"] = [lambda fake: fake.links.pop(2)]
    with pytest.raises(MacvlanError) as err:
        run(nl, desired(addresses=["10.0.0.2/24"]))
    assert str(err.value) == f"parent 'eth0' does not exist in {WHERE}"
    assert nl.links == {}


def test_a_link_that_keeps_changing_fails_with_nothing_of_this_run_kept():
    nl = FakeNetlink()
    link = nl.add_existing(name="mv0", kind="macvlan", mode="vepa", mac_address="02:00:00:00:00:aa")

    def delete_again(fake: FakeNetlink) -> None:
        fake.links.pop(next(i for i, l in fake.links.items() if l.name == "mv0"))

    nl.meanwhile["link set info"] = [delete_again]
    nl.meanwhile["addr add"] = [delete_again]
    with pytest.raises(MacvlanError) as err:
        run(nl, desired(addresses=["10.0.0.2/24"]))
    assert "kept changing while it was being configured" in str(err.value)
    assert "the new link mv0 was removed again" in str(err.value)
    assert [l.name for l in nl.links.values()] == ["eth0"] and link.ifindex not in nl.links
