# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pyroute2 compatibility layer: a lean, guarded import, the minimum version enforced,
and the macvlan attributes pyroute2 0.9 does not know taught to it.

Only the backend (_netlink*.py) imports this file; modules ask `require_pyroute2()`.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import PYROUTE2_MIN_VERSION

# What the rest of the backend takes from here.
__all__ = [
    "HAS_PYROUTE2",
    "IPRoute",
    "NetlinkError",
    "PYROUTE2_IMPORT_ERROR",
    "PYROUTE2_VERSION_PROBLEM",
    "RequestProcessor",
    "require_pyroute2",
    "version_problem",
]


def _register_pyroute2_without_init() -> None:
    """Let the backend import pyroute2's submodules without running pyroute2/__init__.py.

    That file only re-exports every socket class the library has (IPDB, NDB, conntrack, nftables,
    wireguard, ...): importing it costs 0.33 s here, against 0.19 s for the submodules the backend
    uses, and every module run pays it. So the package is registered from its spec, unexecuted,
    and its submodules load as usual. A process that already imported pyroute2 keeps it; if the
    package cannot be found, the imports below fail as they would anyway.
    """
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or spec.submodule_search_locations is None:
        return
    sys.modules["pyroute2"] = importlib.util.module_from_spec(spec)


def version_tuple(version: str) -> tuple[int, ...]:
    """'0.9.7' -> (0, 9, 7); a suffix such as 'rc1' or '.post2' ends the comparison."""
    parts = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.group() != part:
            break
    return tuple(parts)


def version_problem(installed: str | None, minimum: str = PYROUTE2_MIN_VERSION) -> str | None:
    """Why the installed pyroute2 will not do, or None when it will."""
    if installed is None:
        return None  # unknown (no package metadata): trust the import
    if version_tuple(installed) < version_tuple(minimum):
        return (
            f"pyroute2 {installed} is installed, but linuxnet.macvlan needs pyroute2 >= {minimum} "
            f"(its netlink API changed in 0.9); upgrade it on the managed host: pip install 'pyroute2>={minimum}'"
        )
    return None


def _installed_version() -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python 3.8+ always has it
        return None
    try:
        return version("pyroute2")
    except PackageNotFoundError:
        return None


# Checked before importing: an old pyroute2 lacks modules we import, and "too old" is the useful message.
PYROUTE2_VERSION_PROBLEM = version_problem(_installed_version())
try:
    _register_pyroute2_without_init()
    from pyroute2.iproute.linux import IPRoute, RequestProcessor
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.netlink.rtnl import ifinfmsg as _ifinfmsg
except ImportError:
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR: str | None = traceback.format_exc()
    # Modules import the backend before they can say pyroute2 is missing: the names must exist.
    IPRoute = RequestProcessor = None

    class NetlinkError(Exception):  # type: ignore[no-redef]
        """Stand-in so `except NetlinkError` stays valid without pyroute2."""

        code = 0

else:
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None


def require_pyroute2(module) -> None:
    """Fail the module run with a clear message when pyroute2 is too old or missing."""
    if PYROUTE2_VERSION_PROBLEM:
        module.fail_json(msg=PYROUTE2_VERSION_PROBLEM)
    if not HAS_PYROUTE2:
        module.fail_json(msg=missing_required_lib(f"pyroute2 >= {PYROUTE2_MIN_VERSION}"), exception=PYROUTE2_IMPORT_ERROR)


_EXTRA_MACVX_ATTRS = (
    ("IFLA_MACVLAN_BC_QUEUE_LEN", "uint32"),
    ("IFLA_MACVLAN_BC_QUEUE_LEN_USED", "uint32"),
    ("IFLA_MACVLAN_BC_CUTOFF", "int32"),
)


def _teach_pyroute2_macvlan_attrs() -> None:
    """pyroute2 0.9 does not map the broadcast queue attributes; append them once.

    macvtap_data copies macvx_data's map when pyroute2 is imported, so both need it.
    Must run before the first message is encoded (the maps are compiled lazily).
    """
    base = _ifinfmsg.macvx_data
    names = {entry[0] for entry in base.nla_map}
    if "IFLA_MACVLAN_BC_QUEUE_LEN" not in names:
        base.nla_map = tuple(base.nla_map) + _EXTRA_MACVX_ATTRS
    tap = _ifinfmsg.ifinfmsg.ifinfo.macvtap_data
    tap_names = {entry[0] for entry in tap.nla_map}
    if "IFLA_MACVTAP_BC_QUEUE_LEN" not in tap_names:
        tap.nla_map = list(tap.nla_map) + [(n.replace("MACVLAN", "MACVTAP"), t) for n, t in _EXTRA_MACVX_ATTRS]


if HAS_PYROUTE2:
    _teach_pyroute2_macvlan_attrs()
