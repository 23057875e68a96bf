from __future__ import annotations

import pytest
from ansible.errors import AnsibleError

from ansible_collections.linuxnet.macvlan.plugins.test.cidr_overlaps import cidr_overlaps


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("192.168.1.250/32", "192.168.1.192/27", False),
        ("192.168.1.200/32", "192.168.1.192/27", True),
        ("192.168.1.10/24", "192.168.1.0/24", True),  # host bits set: the host's own address in its LAN
        ("192.168.1.10", "192.168.1.0/25", True),
        ("192.168.1.0/24", "192.168.1.10/32", True),
        ("10.0.0.0/8", "192.168.0.0/16", False),
        ("2001:db8::1/128", "2001:db8::/64", True),
        ("2001:db8::1/128", "192.168.1.0/24", False),
        ("192.168.1.200/32", ["10.0.0.0/8", "192.168.1.192/27"], True),  # a list: any of them
        ("192.168.1.250/32", ["10.0.0.0/8", "192.168.1.192/27"], False),
        ("192.168.1.250/32", [], False),
    ],
)
def test_cidr_overlaps(a, b, expected):
    assert cidr_overlaps(a, b) is expected


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleError, match="'nonsense' is not an IP address"):
        cidr_overlaps("nonsense", "10.0.0.0/8")


def test_bad_entry_in_a_list_is_named():
    with pytest.raises(AnsibleError, match="'10.0.0.300/8' is not an IP address"):
        cidr_overlaps("10.0.0.1", ["192.168.0.0/16", "10.0.0.300/8"])
