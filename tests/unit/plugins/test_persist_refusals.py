"""The persistence files' refusals (pure): what may reach a shell line, a unit file, an ifupdown
stanza, a networkd file or a keyfile, and the words of a refusal."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.linuxnet.macvlan.plugins.filter.persist_refusals import persist_refusals, refusal

HOSTILE = ["sh$(id)", "a;b", "a`id`", "a%n", "a'b", 'a"b', "a\nb", "a b", "a*", "a?", "a[0]", "!eth0", "a\\b", "é0", "a|b", "a&b", "a>b"]


@pytest.mark.parametrize("name", ["macvlan-shim", "eth0", "eth0.100", "shim_1", "a", "enp0s31f6"])
def test_ordinary_interface_names_pass(name):
    assert refusal("ifname", name) is None


@pytest.mark.parametrize("name", HOSTILE)
def test_names_a_shell_systemd_or_networkd_would_read_are_refused_naming_the_character(name):
    why = refusal("ifname", name)
    bad = next(c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-")))
    assert why is not None and repr(bad) in why and f"U+{ord(bad):04X}" in why


def test_a_leading_dash_and_an_empty_name_are_refused():
    assert "leading '-'" in refusal("ifname", "-shim")
    assert "empty" in refusal("ifname", "")


ORDINARY = [("cidr", "10.0.0.1/32"), ("cidr", "fd00::1/128"), ("route", "10.0.0.0/24"), ("route", "default"),
            ("route", "fd00:77::200/127"), ("mac", "02:42:5e:77:00:fa"), ("path", "/etc/systemd/network/10 eth0.network")]


@pytest.mark.parametrize("kind, value", ORDINARY)
def test_ordinary_values_pass(kind, value):
    assert refusal(kind, value) is None


@pytest.mark.parametrize("kind, value, words", [
    ("cidr", "10.0.0.1/32; touch /tmp/x", "';' (U+003B)"),
    ("cidr", "10.0.0.1", "no prefix length"),
    ("cidr", "10.0.0.300/32", "is refused"),
    ("route", "$(id)/24", "'$' (U+0024)"),
    ("route", "default; id", "is refused"),
    ("mac", "02:42:5e:77:00:fa\nExecStart=/bin/id", "'\\n' (U+000A)"),
    ("mac", "02:42:5e:77:00", "six colon-separated"),
    ("path", "10-eth0.network\n[Network]", "'\\n' (U+000A)"),
])
def test_hostile_values_are_refused(kind, value, words):
    assert words in refusal(kind, value)


def test_the_refusal_names_the_variable_and_every_bad_entry():
    found = persist_refusals({"host_shim_name": ["ifname", "sh$(id)"], "host_shim_parent": ["ifname", "eth0"],
                              "host_shim_routes": ["route", ["10.0.0.0/24", "`id`/24"]]})
    assert found == [
        "host_shim_name='sh$(id)': '$' (U+0024) is refused: an interface name in the persistence files may hold only ASCII letters, "
        "digits, '_', '-' and '.'.",
        "host_shim_routes entry '`id`/24': '`' (U+0060) is refused: a route destination is an IPv4 or IPv6 network with a prefix "
        "length, or 'default'.",
    ]


def test_a_non_string_and_an_unknown_kind():
    assert "is not a string" in refusal("ifname", 5)
    with pytest.raises(AnsibleFilterError):
        refusal("colour", "red")
    with pytest.raises(AnsibleFilterError):
        persist_refusals(["host_shim_name"])
