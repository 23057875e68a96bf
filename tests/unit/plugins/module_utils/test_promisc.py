"""The macvlan_promisc planner: the flag decides, the counter is predicted, never judged."""

from __future__ import annotations

import pytest

import dataclasses

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import ObservedLink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._planner.promisc_plan import mismatches, plan_promisc, promisc_result


def observed(promisc: bool, allmulticast: bool = False, promiscuity: int | None = 0) -> ObservedLink:
    return ObservedLink(name="eth0", ifindex=2, kind="veth", promisc=promisc, allmulticast=allmulticast, promiscuity=promiscuity, mtu=1500)


@pytest.mark.parametrize(
    "state, promisc, allmulticast, changes, counter",
    [
        (observed(False), True, None, {"promisc": True}, 1),
        (observed(True, promiscuity=1), True, None, {}, 1),
        (observed(True, promiscuity=1), False, None, {"promisc": False}, 0),
        (observed(False), False, None, {}, 0),
        # A packet socket holds the counter: the flag is still off, and stays the user's to set.
        (observed(False, promiscuity=1), False, None, {}, 1),
        (observed(False, promiscuity=1), True, None, {"promisc": True}, 2),
        (observed(True, promiscuity=2), False, None, {"promisc": False}, 1),
        # allmulticast: None is "don't care".
        (observed(True, allmulticast=True, promiscuity=1), True, None, {}, 1),
        (observed(True, promiscuity=1), True, True, {"allmulticast": True}, 1),
        (observed(False, allmulticast=True), True, False, {"promisc": True, "allmulticast": False}, 1),
    ],
)
def test_plan(state, promisc, allmulticast, changes, counter):
    planned, predicted = plan_promisc(state, promisc, allmulticast)
    assert planned == changes
    assert predicted.promisc is promisc
    assert predicted.promiscuity == counter
    if allmulticast is not None:
        assert predicted.allmulticast is allmulticast
    else:
        assert predicted.allmulticast is state.allmulticast
    assert state == observed(state.promisc, state.allmulticast, state.promiscuity)  # input untouched


def test_unknown_counter_stays_unknown():
    _changes, predicted = plan_promisc(dataclasses.replace(observed(False), promiscuity=None), True, None)
    assert predicted.promiscuity is None


def test_result_has_the_diff_shape():
    assert promisc_result(observed(True, promiscuity=3), "lab") == {
        "name": "eth0", "netns": "lab", "promisc": True, "allmulticast": False, "promiscuity": 3,
    }
    assert promisc_result(None, None) == {}


def test_mismatches_name_what_the_kernel_did_not_take():
    assert mismatches({"promisc": True}, observed(True)) == []
    assert mismatches({"promisc": True, "allmulticast": True}, observed(True)) == ["allmulticast: wanted True, kernel reports False"]
