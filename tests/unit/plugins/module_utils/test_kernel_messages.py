"""What users read when the kernel says no, or silently ignores an attribute (pure)."""

from __future__ import annotations

import errno

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import KernelRefusal
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.steps import describe_action
from ansible_collections.linuxnet.macvlan.plugins.module_utils._reconcile.readback import ignored_attributes_error
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.model import Action, DesiredLink, LinkSpec, Op
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.compat import version_problem, version_tuple


@pytest.mark.parametrize(
    "code, fragment",
    [
        (errno.EOPNOTSUPP, "no macvlan/macvtap support"),
        (errno.EADDRINUSE, "MAC address is already in use on the parent"),
        (errno.ENETUNREACH, "gateway is not reachable"),
        (errno.EPERM, "CAP_NET_ADMIN"),
        (errno.E2BIG, "the kernel refused: E2BIG (x)"),
    ],
)
def test_errno_hints(code, fragment):
    assert fragment in KernelRefusal(code, "x").reason()


def test_a_refusal_names_the_request_and_the_namespace():
    assert str(KernelRefusal(errno.EPERM, "Operation not permitted", "link set", "namespace 'lab'")) == (
        "link set in namespace 'lab': permission denied (root or CAP_NET_ADMIN is needed) [EPERM (Operation not permitted)]"
    )


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EBUSY])
def test_passthru_refusals_explain_why(code):
    message = KernelRefusal(code, "x").reason(creating_passthru=True)
    assert "a passthru link needs the parent to itself" in message
    assert errno.errorcode[code] in message


def test_einval_outside_passthru_is_not_blamed_on_passthru():
    assert "passthru" not in KernelRefusal(errno.EINVAL, "x").reason()


def test_actions_are_described_with_their_object():
    route = {"dst": "10.0.0.0/8", "gateway": "192.0.2.1", "metric": 0}
    assert describe_action(Action(Op.ADD_ROUTE, route), "mv0") == "adding route 10.0.0.0/8 via 192.0.2.1 on mv0"
    spec = LinkSpec("mv0", "macvtap", "eth0", 2, "vepa", None, None, None, None, None, [], [], [], True)
    assert describe_action(Action(Op.CREATE, spec), "mv0") == "creating macvtap mv0 (mode vepa) on parent eth0"


@pytest.mark.parametrize("op", list(Op))
def test_every_action_has_words(op):
    arg = {"dst": "10.0.0.0/8"} if "route" in op.value else {"up": True} if op.value.startswith("set") else "10.0.0.1/8"
    if op is Op.CREATE:
        arg = LinkSpec("mv0", "macvlan", "eth0", 2, "bridge", None, None, None, None, None, [], [], [], True)
    assert "mv0" in describe_action(Action(op, arg), "mv0")


@pytest.mark.parametrize("attr, read, kernel", [("bcqueuelen", None, "5.11"), ("bc_cutoff", 1, "6.5")])
def test_an_ignored_attribute_names_itself_and_the_kernel_it_needs(attr, read, kernel):
    desired = DesiredLink(name="mv0", netns="lab", where="namespace 'lab'")
    message = str(ignored_attributes_error([(attr, 7, read)], desired))
    assert f"{attr}=7" in message and f"needs Linux {kernel} or later" in message and "namespace 'lab'" in message


@pytest.mark.parametrize(
    "installed, problem",
    [("0.9.7", False), ("0.9.1", False), ("0.10.0", False), ("1.0rc1", False), ("0.9.0", True), ("0.7.12", True), (None, False)],
)
def test_the_minimum_pyroute2_version_is_enforced(installed, problem):
    message = version_problem(installed, "0.9.1")
    assert (message is not None) is problem
    if problem:
        assert installed in message and ">= 0.9.1" in message


def test_version_tuple():
    assert version_tuple("0.9.7") == (0, 9, 7)
    assert version_tuple("0.9.7.post1") == (0, 9, 7)
    assert version_tuple("1.0rc1") == (1, 0)
