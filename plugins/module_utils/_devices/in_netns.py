# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a small function inside another network namespace, with that namespace's own /sys.

/sys/class/net and /proc/sys/net show the namespace of whoever looks (sysfs: of whoever mounted it),
so reading a link's sysfs entry or writing its sysctls from the namespace Ansible runs in would
see the wrong links, or none. A forked child enters the namespace, mounts a fresh sysfs in a private
mount namespace of its own (as `ip netns exec` does), runs the function and sends back its JSON
result; the module process itself never changes namespace. No pyroute2.
"""

from __future__ import annotations

import ctypes
import json
import os
import traceback

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, netns_file

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2


def _libc_call(libc, name: str, *args) -> None:
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


def _enter(netns: str) -> None:
    """In the child: this namespace's network stack, and a /sys that shows it."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(netns_file(netns), os.O_RDONLY)
    _libc_call(libc, "setns", fd, CLONE_NEWNET)
    os.close(fd)
    _libc_call(libc, "unshare", CLONE_NEWNS)
    # Private: the sysfs mounted below must not propagate back to the host's mount namespace.
    _libc_call(libc, "mount", b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    _libc_call(libc, "umount2", b"/sys", MNT_DETACH)
    _libc_call(libc, "mount", b"sysfs", b"/sys", b"sysfs", 0, None)


def run_in_netns(netns: str | None, function, *args):
    """function(*args) inside netns (None: here, in this process); its result must be JSON.

    An OSError or MacvlanError the function raises comes back as a MacvlanError naming the namespace."""
    if netns is None:
        try:
            return function(*args)
        except OSError as exc:
            raise MacvlanError(f"{describe_netns(netns)}: {exc}") from exc
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the module's code
        status = 0
        try:
            os.close(read_end)
            try:
                _enter(netns)
                answer = {"ok": function(*args)}
            except (OSError, MacvlanError) as exc:
                answer = {"error": str(exc)}
            except Exception:  # pylint: disable=broad-exception-caught
                answer = {"error": traceback.format_exc()}
            with os.fdopen(write_end, "w") as out:
                json.dump(answer, out)
        except BaseException:  # pylint: disable=broad-exception-caught
            status = 1
        finally:
            os._exit(status)  # pylint: disable=protected-access
    os.close(write_end)
    with os.fdopen(read_end) as answer_file:
        text = answer_file.read()
    os.waitpid(pid, 0)
    try:
        answer = json.loads(text)
    except ValueError as exc:
        raise MacvlanError(f"{describe_netns(netns)}: the helper process that enters it failed") from exc
    if "error" in answer:
        raise MacvlanError(f"{describe_netns(netns)}: {answer['error']}")
    return answer["ok"]
