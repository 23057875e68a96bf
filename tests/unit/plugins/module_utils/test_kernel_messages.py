"""What users read when the kernel says no, or silently ignores an attribute (pure)."""

from __future__ import annotations

import errno

import pytest
from pyroute2.netlink.exceptions import NetlinkError

from ansible_collections.linuxnet.macvlan.plugins.module_utils._errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._link_apply import describe_action, explain
from ansible_collections.linuxnet.macvlan.plugins.module_utils._link_reconcile import _verify_read_back


@pytest.mark.parametrize(
    "code, fragment",
    [
        (errno.EOPNOTSUPP, "no macvlan/macvtap support"),
        (errno.EADDRINUSE, "MAC address is already in use on the parent"),
        (errno.ENETUNREACH, "gateway is not reachable"),
        (errno.EPERM, "CAP_NET_ADMIN"),
        (errno.E2BIG, "the kernel refused: E2BIG"),
    ],
)
def test_errno_hints(code, fragment):
    assert fragment in explain(NetlinkError(code, "x"))


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EBUSY])
def test_passthru_refusals_explain_why(code):
    message = explain(NetlinkError(code, "x"), "create", {"mode": "passthru"})
    assert "a passthru link needs the parent to itself" in message
    assert errno.errorcode[code] in message


def test_einval_outside_passthru_is_not_blamed_on_passthru():
    assert "passthru" not in explain(NetlinkError(errno.EINVAL, "x"), "create", {"mode": "bridge"})


def test_actions_are_described_with_their_object():
    route = {"dst": "10.0.0.0/8", "gateway": "192.0.2.1", "metric": 0}
    assert describe_action("add_route", {"route": route}, "mv0") == "adding route 10.0.0.0/8 via 192.0.2.1 on mv0"
    assert describe_action("create", {"kind": "macvtap", "mode": "vepa", "parent": "eth0"}, "mv0") == "creating macvtap mv0 (mode vepa) on parent eth0"


@pytest.mark.parametrize("attr, read, kernel", [("bcqueuelen", None, "5.11"), ("bc_cutoff", 1, "6.5")])
def test_an_ignored_attribute_names_itself_and_the_kernel_it_needs(attr, read, kernel):
    with pytest.raises(MacvlanError) as err:
        _verify_read_back({"name": "mv0", attr: 7}, {attr: read}, "namespace 'lab'")
    message = str(err.value)
    assert f"{attr}=7" in message and f"needs Linux {kernel} or later" in message and "namespace 'lab'" in message


def test_read_back_accepts_what_was_written():
    _verify_read_back({"name": "mv0", "bcqueuelen": 7, "bc_cutoff": None}, {"bcqueuelen": 7, "bc_cutoff": 1}, "lab")
