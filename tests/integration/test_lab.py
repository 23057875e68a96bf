"""The lab itself: it builds, carries traffic, and leaves nothing behind."""

from __future__ import annotations

from lab import Lab, list_netns


def test_hosts_ping_each_other_across_the_switch():
    lab = Lab()
    try:
        lab.add_switch()
        h1 = lab.add_host("h1", "10.77.0.1/24")
        h2 = lab.add_host("h2", "10.77.0.2/24")
        assert lab.link(h1, "eth0")["linkinfo"]["info_kind"] == "veth"
        assert lab.addrs(h2, "eth0") == ["10.77.0.2/24"]
        assert lab.ping(h1, "10.77.0.2")
        assert lab.ping(h2, "10.77.0.1")
        # Negative control: an address nobody holds does not answer.
        assert not lab.ping(h1, "10.77.0.99", tries=1)
    finally:
        lab.destroy()
    assert not [ns for ns in list_netns() if ns.startswith(lab.prefix)]


def test_lab_namespaces_are_prefixed_and_isolated(lab):
    lab.add_switch()
    h1 = lab.add_host("h1", "10.77.0.1/24")
    assert all(ns.startswith(lab.prefix) for ns in lab.namespaces)
    # Inside a host the only links are lo and the lab's eth0: the machine's are invisible.
    names = sorted(link["ifname"] for link in lab.links(h1))
    assert names == ["eth0", "lo"]


def test_snapshot_sees_changes(lab):
    ns = lab.add_container("c1")
    before = lab.snapshot(ns)
    assert lab.snapshot(ns) == before
    lab.run(ns, "ip", "addr", "add", "192.0.2.1/32", "dev", "lo")
    assert lab.snapshot(ns) != before


def test_hairpin_toggles_on_the_switch_port(lab):
    lab.add_switch()
    lab.add_host("h1", "10.77.0.1/24")
    lab.set_hairpin("h1", True)
    port = lab.hosts["h1"]["port"]
    assert lab.link(lab.switch, port)["linkinfo"]["info_slave_data"]["hairpin"] is True
