# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DHCP on a macvlan: one client process per namespace and link, kept across runs.

A link's client is described by files in the state directory, named by the namespace's inode and
the link's name: `<key>.json` (client, pid, ifindex), the client's pid file, lease file, event
script and log. A client counts as running for the link when its pid is alive, runs in the link's
namespace and names the link's files, and the link still has the ifindex the client was started
for: a re-created link gets a new client (and, with its stable MAC, the same lease). Clients run
inside the link's namespace (nsenter) and touch nothing but the link: see _dhcp_scripts.py.

A container's link is keyed by the container instead (engine and name): its client keeps the old
namespace, and so the old link with the same stable MAC, alive after the container is gone, so a rerun
for the re-created container must find that client and stop it before the new link is created
(without releasing: the new client gets the same lease back).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.request import DhcpOutcome, DhcpRequest
from ansible_collections.linuxnet.macvlan.plugins.module_utils._dhcp.scripts import script_text
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._netlink.namespace_socket import Netlink
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import describe_netns, netns_file, netns_identity, same_netns

CLIENT_ORDER = ("udhcpc", "dhclient")  # what auto picks, in this order
PACKAGES = {"udhcpc": "busybox (udhcpc)", "dhclient": "isc-dhcp-client (dhclient)"}
STOP_WAIT = 5.0


class DhcpClients:
    """Finds, starts and stops the clients of one module run. `which` finds a program on the
    managed host (AnsibleModule.get_bin_path), `where` names the namespace in messages."""

    def __init__(self, which, request: DhcpRequest):
        self.which = which
        self.request = request

    # ---- files and identity

    def _key(self, netns: str | None, link: str) -> str:
        if self.request.owner is not None:
            return f"ct-{self.request.owner}-{link}"
        identity = netns_identity(netns)
        if identity is None:
            raise MacvlanError(f"dhcp: cannot open the namespace of link {link}: {describe_netns(netns)} does not exist")
        return f"ns{identity[1]:x}-{link}"

    def _path(self, key: str, suffix: str) -> str:
        return os.path.join(self.request.state_dir, f"{key}.{suffix}")

    def _state(self, key: str) -> dict | None:
        try:
            with open(self._path(key, "json"), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def _alive(self, state: dict | None, key: str, netns: str | None) -> bool:
        """The recorded client still runs, in the link's namespace, for this link's files."""
        if not state or not isinstance(state.get("pid"), int):
            return False
        pid = state["pid"]
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().decode(errors="replace")
        except OSError:
            return False
        return key in cmdline and same_netns(f"/proc/{pid}/ns/net", netns)

    def _ours(self, state: dict | None, key: str) -> bool:
        """The recorded client still runs for this link's files, in whichever namespace."""
        if not state or not isinstance(state.get("pid"), int):
            return False
        try:
            with open(f"/proc/{state['pid']}/cmdline", "rb") as handle:
                return key in handle.read().decode(errors="replace")
        except OSError:
            return False

    def retire_elsewhere(self, netns: str | None, link: str, check_mode: bool) -> bool:
        """A container's client still running in the namespace of an earlier instance of the container (which it
        keeps alive, with the old link and its MAC): stop it before the link is created again. True if there was one."""
        if self.request.owner is None:
            return False
        key = self._key(netns, link)
        state = self._state(key)
        if not self._ours(state, key) or self._alive(state, key, netns):
            return False
        if not check_mode:
            pid = state["pid"]
            # The namespace dies only when its last process does, and its links go asynchronously after
            # that: delete the old link first (synchronous), so its MAC is free for the new one.
            try:
                with Netlink(f"/proc/{pid}/ns/net") as old_nl:
                    old = old_nl.read_link(name=link, with_ip=False)
                    if old is not None:
                        old_nl.delete_link(old.ifindex)
            except (MacvlanError, OSError):
                pass  # the client (and its namespace) went by itself meanwhile
            try:
                os.kill(pid, signal.SIGKILL)  # no release: the new client asks for the same lease
            except OSError:
                pass
            deadline = time.monotonic() + STOP_WAIT
            while os.path.exists(f"/proc/{pid}") and self._ours(state, key) and time.monotonic() < deadline:
                _reap(pid)
                time.sleep(0.02)
            for suffix in ("json", "pid"):
                try:
                    os.unlink(self._path(key, suffix))
                except OSError:
                    pass
        return True

    # ---- the client program

    def _nsenter(self) -> str:
        path = self.which("nsenter")
        if not path:
            raise MacvlanError("dhcp: nsenter is needed to run a DHCP client inside a namespace; install util-linux")
        return path

    def _program(self) -> tuple[str, list[str]]:
        """(client, argv prefix) of the client to use, or a clear error naming what to install."""
        wanted = CLIENT_ORDER if self.request.client == "auto" else (self.request.client,)
        for client in wanted:
            if client == "udhcpc":
                path = self.which("udhcpc")
                if path:
                    return client, [path]
                busybox = self.which("busybox")
                if busybox and _has_applet(busybox, "udhcpc"):
                    return client, [busybox, "udhcpc"]
            elif self.which("dhclient"):
                return client, [self.which("dhclient")]
        names = " or ".join(PACKAGES[c] for c in wanted)
        raise MacvlanError(f"dhcp_client={self.request.client}: no DHCP client found on this host; install {names}")

    def _argv(self, client: str, prefix: list[str], key: str, link: str) -> list[str]:
        if client == "udhcpc":
            # -f: stay in the foreground (we supervise it); -R: release the lease when stopped.
            return prefix + ["-f", "-R", "-i", link, "-p", self._path(key, "pid"), "-s", self._path(key, "script")]
        return prefix + ["-4", "-d", "-pf", self._path(key, "pid"), "-lf", self._path(key, "leases"), "-sf", self._path(key, "script"), link]

    # ---- the reconcile step

    def ensure(self, netns: str | None, link: str, ifindex: int | None, check_mode: bool, wait_address, wait: bool = True) -> DhcpOutcome:
        """Make one client run for the link (started when missing or when the link was re-created).

        ifindex: the link's index now (None when check mode predicts a new link).
        wait_address(timeout) -> the leased address or None. wait=False: the caller waits (many links)."""
        key = self._key(netns, link)
        state = self._state(key)
        running = self._alive(state, key, netns) and ifindex is not None and state.get("ifindex") == ifindex
        if running:
            return DhcpOutcome(False, True, state.get("client"), state["pid"], wait_address(0))
        client, prefix = self._program()
        if check_mode:
            return DhcpOutcome(True, True, client)
        if state is not None:
            self._stop(state, key, netns, link)
        pid = self._start(client, prefix, key, netns, link, ifindex)
        outcome = DhcpOutcome(True, True, client, pid)
        if wait:
            self.wait(outcome, netns, link, wait_address)
        return outcome

    def wait(self, outcome: DhcpOutcome, netns: str | None, link: str, wait_address) -> None:
        """Wait up to dhcp_timeout for the lease of a client just started; no lease is an error."""
        outcome.address = wait_address(self.request.timeout)
        if outcome.address is None:
            raise MacvlanError(
                f"dhcp: no lease for link {link} in {describe_netns(netns)} within dhcp_timeout={self.request.timeout}s "
                f"({outcome.client} keeps trying as pid {outcome.pid}; its log: {self._path(self._key(netns, link), 'log')})"
            )

    def stop(self, netns: str | None, link: str, check_mode: bool) -> DhcpOutcome:
        """No client may run for the link: stop (and release) one that does."""
        try:
            key = self._key(netns, link)
        except MacvlanError:
            return DhcpOutcome(False, False)  # no namespace, so no client in it
        state = self._state(key)
        if state is None:
            return DhcpOutcome(False, False)
        alive = self._ours(state, key)  # a container's client may still run in its earlier namespace
        if not check_mode:
            self._stop(state, key, netns, link)
        return DhcpOutcome(alive, False, state.get("client"))

    def _start(self, client: str, prefix: list[str], key: str, netns: str | None, link: str, ifindex: int) -> int:
        os.makedirs(self.request.state_dir, mode=0o700, exist_ok=True)
        script = self._path(key, "script")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(script_text(client, self.request.default_route))
        os.chmod(script, 0o700)
        argv = self._argv(client, prefix, key, link)
        if netns is not None:
            argv = [self._nsenter(), f"--net={netns_file(netns)}", *argv]
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
        with open(self._path(key, "log"), "ab") as log:
            # Its own session: the client outlives this module run; nsenter execs it, so the pid is the client's.
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True, close_fds=True)
        with open(self._path(key, "json"), "w", encoding="utf-8") as handle:
            json.dump({"client": client, "pid": proc.pid, "ifindex": ifindex, "link": link, "netns": netns}, handle)
        return proc.pid

    def _stop(self, state: dict, key: str, netns: str | None, link: str) -> None:
        pid = state.get("pid")
        if self._alive(state, key, netns):
            # udhcpc releases the lease on SIGTERM (-R); dhclient releases with -r, which also stops it.
            if state.get("client") == "dhclient" and self.which("dhclient"):
                argv = [self.which("dhclient"), "-4", "-r", "-pf", self._path(key, "pid"), "-lf", self._path(key, "leases"),
                        "-sf", self._path(key, "script"), link]
                if netns is not None:
                    argv = [self._nsenter(), f"--net={netns_file(netns)}", *argv]
                subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=STOP_WAIT * 2, check=False)
            _terminate(pid)
        elif self._ours(state, key):  # in a container's earlier namespace: no link of ours to release from
            _terminate(pid)
        for suffix in ("json", "pid"):
            try:
                os.unlink(self._path(key, suffix))
            except OSError:
                pass


def _has_applet(busybox: str, applet: str) -> bool:
    try:
        listed = subprocess.run([busybox, "--list"], capture_output=True, text=True, timeout=10, check=False).stdout
    except OSError:
        return False
    return applet in listed.split()


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + STOP_WAIT
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        _reap(pid)
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _reap(pid: int) -> None:
    """A client this very process started is its child: collect it so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def lease_waiter(read_dynamic_addresses):
    """wait(timeout) -> the first dynamic IPv4 address of the link once there, or None after timeout.
    read_dynamic_addresses() reads the link's dynamic addresses (through the backend)."""

    def wait(timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            leased = [cidr for cidr in read_dynamic_addresses() if ":" not in cidr]
            if leased or time.monotonic() >= deadline:
                return leased[0] if leased else None
            time.sleep(0.2)

    return wait
