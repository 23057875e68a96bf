from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.linuxnet.macvlan.plugins.filter.route_dicts import FilterModule, route_dicts


@pytest.mark.parametrize(
    "destinations, expected",
    [
        ([], []),
        (["192.168.1.192/27"], [{"dst": "192.168.1.192/27"}]),
        # Order is kept; IPv6 and 'default' pass through untouched (the module normalises them).
        (["fd00::200/127", "10.0.0.1/32", "default"], [{"dst": "fd00::200/127"}, {"dst": "10.0.0.1/32"}, {"dst": "default"}]),
        # What the role's former regex_replace + from_json conversion could not carry.
        (['a"b'], [{"dst": 'a"b'}]),
        (("10.0.0.0/8",), [{"dst": "10.0.0.0/8"}]),
    ],
)
def test_route_dicts(destinations, expected):
    assert route_dicts(destinations) == expected


@pytest.mark.parametrize("bad", ["10.0.0.0/8", None, 3])
def test_not_a_list_is_refused(bad):
    with pytest.raises(AnsibleFilterError, match="expects a list of destinations"):
        route_dicts(bad)


@pytest.mark.parametrize("entry", ["", "  ", None, {"dst": "10.0.0.0/8"}, 10])
def test_bad_entry_is_named(entry):
    with pytest.raises(AnsibleFilterError, match=re.escape(f"route_dicts: {entry!r} is not a destination")):
        route_dicts(["10.0.0.0/8", entry])


def test_registered_under_its_documented_name():
    assert FilterModule().filters() == {"route_dicts": route_dicts}
