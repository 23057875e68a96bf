"""The backend's plain-bytes reader and bulk requests, checked against pyroute2's decoding and
iproute2 on a real kernel (what macvlan_links relies on to read and change many links fast)."""

from __future__ import annotations

import dataclasses
import json

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import MACVLAN_KINDS
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import LinkSpec
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink


def spec(name: str, parent_ifindex: int, **kw) -> LinkSpec:
    base = dict(name=name, kind="macvlan", parent=None, parent_ifindex=parent_ifindex, mode="bridge", mac_address=None, mtu=None,
                flags=None, bcqueuelen=None, bc_cutoff=None, source_macs=[], addresses=[], routes=[], up=True)
    base.update(kw)
    return LinkSpec(**base)


def test_the_bulk_reader_decodes_what_pyroute2_decodes(host_lab):
    lab = host_lab
    h1 = lab.ns("h1")
    lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "src0", "type", "macvlan", "mode", "source", "nodst")
    lab.run(h1, "ip", "link", "set", "src0", "type", "macvlan", "macaddr", "add", "02:00:00:00:00:01")
    lab.run(h1, "ip", "link", "set", "src0", "type", "macvlan", "macaddr", "add", "02:00:00:00:00:02")
    lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "tap0", "mtu", "1400", "type", "macvtap", "mode", "vepa", "bcqueuelen", "77")
    lab.run(h1, "ip", "link", "add", "link", "eth0", "name", "mv0", "type", "macvlan", "mode", "private")
    lab.run(h1, "ip", "link", "set", "mv0", "up")
    lab.run(h1, "ip", "addr", "add", "10.77.0.10/24", "dev", "mv0")
    lab.run(h1, "ip", "addr", "add", "2001:db8::10/64", "dev", "mv0", "nodad")
    lab.run(h1, "ip", "route", "add", "10.99.0.0/16", "via", "10.77.0.254", "dev", "mv0", "metric", "5")
    lab.run(h1, "ip", "route", "add", "10.98.0.0/16", "dev", "mv0")
    lab.run(h1, "ip", "-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::1", "dev", "mv0")
    with Netlink(h1) as nl:
        fast = {link.name: dataclasses.asdict(link) for link in nl.dump_links_with_ip(MACVLAN_KINDS)}
        slow = {name: dataclasses.asdict(nl.read_link(name=name)) for name in ("src0", "tap0", "mv0")}
    assert fast == slow
    assert fast["src0"]["source_macs"] == ["02:00:00:00:00:01", "02:00:00:00:00:02"] and fast["src0"]["flags"] == ["nodst"]
    assert fast["tap0"]["kind"] == "macvtap" and fast["tap0"]["bcqueuelen"] == 77 and fast["tap0"]["mtu"] == 1400
    assert fast["mv0"]["routes"] == [
        {"dst": "10.98.0.0/16", "gateway": None, "metric": 0},
        {"dst": "10.99.0.0/16", "gateway": "10.77.0.254", "metric": 5},
        {"dst": "2001:db8:1::/48", "gateway": "2001:db8::1", "metric": 1024},
    ]


def test_bulk_create_answers_per_request_and_group_delete_takes_only_its_links(host_lab):
    lab = host_lab
    h1 = lab.ns("h1")
    lab.run(h1, "ip", "link", "add", "taken", "type", "veth", "peer", "name", "taken-p")
    with Netlink(h1) as nl:
        eth0 = nl.ifindex_of("eth0")
        answers = nl.create_many([
            spec("bk0", eth0, mac_address="02:bb:00:00:00:01", mtu=1400, mode="vepa"),
            spec("taken", eth0),  # the name is a veth's: refused, the others still go
            spec("bk2", eth0, mode="source", up=False, flags=["nodst"], bcqueuelen=50),
        ])
        assert answers[0] is None and answers[2] is None
        assert answers[1].code == 17 and "it already exists" in answers[1].reason()
    links = {link["ifname"]: link for link in json.loads(lab.run(h1, "ip", "-d", "-j", "link", "show").stdout)}
    assert links["bk0"]["address"] == "02:bb:00:00:00:01" and links["bk0"]["mtu"] == 1400 and "UP" in links["bk0"]["flags"]
    assert links["bk0"]["linkinfo"]["info_data"]["mode"] == "vepa"
    assert links["bk2"]["linkinfo"]["info_data"]["mode"] == "source" and "UP" not in links["bk2"]["flags"]
    assert links["bk2"]["linkinfo"]["info_data"]["bcqueuelen"] == 50 and links["bk2"]["linkinfo"]["info_data"].get("nodst") is True
    assert links["taken"]["linkinfo"]["info_kind"] == "veth"
    with Netlink(h1) as nl:
        nl.delete_many([links["bk0"]["ifindex"], links["bk2"]["ifindex"]])
    left = {link["ifname"]: link for link in json.loads(lab.run(h1, "ip", "-d", "-j", "link", "show").stdout)}
    assert "bk0" not in left and "bk2" not in left and "taken" in left and "taken-p" in left and "eth0" in left
    assert all(link.get("group", "default") == "default" for link in left.values())
