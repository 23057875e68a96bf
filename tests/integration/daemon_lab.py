"""The real network daemons (systemd-networkd, NetworkManager) confined to one lab host namespace.

A "boot" starts them in the host's network namespace and in a private mount namespace:
  - a tmpfs on /run (their sockets, state and pid files), /sys read-only (no udev: both daemons
    then treat the host as a container and do not wait for udev);
  - overlays on /etc and /var whose upper layers sit on a tmpfs of that mount namespace: whatever
    a daemon writes there vanishes with it and never reaches the machine;
  - the lab's persistence root bind-mounted over the directories the role writes
    (/etc/systemd/network, /etc/systemd/system, /etc/NetworkManager, /etc/network): the daemons
    read exactly the files the role wrote for the lab;
  - a private dbus-daemon on /run/dbus/system_bus_socket of that mount namespace.
Nothing talks to the machine's own systemd, NetworkManager or D-Bus. Every process is stopped by
its PID, and the lab's namespace deletion kills whatever is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from lab import sh

NETWORKD = "/lib/systemd/systemd-networkd"
NETWORKMANAGER = "/usr/sbin/NetworkManager"
# The directories of the role's persistence files, relative to the root (see roles/host_shim/vars).
PERSIST_DIRS = ("etc/systemd/network", "etc/systemd/system", "etc/NetworkManager", "etc/network")

BOOT_SCRIPT = """#!/bin/sh
# Run by: ip netns exec HOST unshare --mount --uts --propagation private sh boot.sh LAB ROOT DAEMONS
set -eu
LAB=$1 ROOT=$2 DAEMONS=$3
echo $$ >"$LAB/holder.pid"
mount -t tmpfs -o mode=0755 tmpfs /run
mount -n -o remount,bind,ro /sys
mkdir -p "$LAB/mnt"
mount -t tmpfs -o mode=0700 tmpfs "$LAB/mnt"
for d in etc var; do
  mkdir -p "$LAB/mnt/$d-upper" "$LAB/mnt/$d-work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$LAB/mnt/$d-upper,workdir=$LAB/mnt/$d-work" "/$d"
done
for d in etc/systemd/network etc/systemd/system etc/NetworkManager etc/network; do
  mkdir -p "$ROOT/$d" "/$d"
  mount --bind "$ROOT/$d" "/$d"
done
mkdir -p /run/dbus /run/systemd/netif /run/NetworkManager
chown systemd-network:systemd-network /run/systemd/netif
dbus-daemon --config-file="$LAB/dbus.conf" --nofork --nopidfile &
echo $! >"$LAB/dbus.pid"
i=0
while [ ! -S /run/dbus/system_bus_socket ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
case " $DAEMONS " in *" networkd "*) __NETWORKD__ & echo $! >"$LAB/networkd.pid" ;; esac
case " $DAEMONS " in *" networkmanager "*) __NETWORKMANAGER__ --no-daemon --config="$LAB/nm.conf" & echo $! >"$LAB/networkmanager.pid" ;; esac
echo ready >"$LAB/ready"
wait
"""

DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""

NM_CONF = """[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false

[keyfile]
unmanaged-devices={unmanaged}

[connectivity]
enabled=false
"""

# The user's own NetworkManager profile of the parent (what the role finds on a NetworkManager host).
PARENT_KEYFILE = """[connection]
id=lab-eth0
uuid=0d3f1a52-7d2b-4c62-9a52-8c51a2f5e0e1
type=ethernet
interface-name=eth0

[ipv4]
method=manual
address1=10.77.0.1/24

[ipv6]
method=link-local
"""

# Ansible's shell for a lab host whose daemons run: the mount (and UTS) namespace of the boot, so
# every module, raw command and file the role writes sees the lab's /run, bus and /etc.
ENTER_SCRIPT = """#!/bin/sh
exec nsenter -t "$(cat {pidfile})" -m -u /bin/sh "$@"
"""


def daemons_installed() -> list[str]:
    return [path for path in (NETWORKD, NETWORKMANAGER) if not os.access(path, os.X_OK)]


class DaemonBoot:
    """systemd-networkd and/or NetworkManager started in lab host `ns`, reading the files under `root`."""

    def __init__(self, lab, ns: str, root: Path, workdir: Path, daemons: tuple[str, ...], nm_unmanaged: str = "except:interface-name:eth0"):
        self.lab, self.ns, self.root, self.dir = lab, ns, root, workdir
        self.daemons = daemons
        workdir.mkdir(parents=True, exist_ok=True)
        for rel in PERSIST_DIRS:
            (root / rel).mkdir(parents=True, exist_ok=True)
        script = BOOT_SCRIPT.replace("__NETWORKD__", NETWORKD).replace("__NETWORKMANAGER__", NETWORKMANAGER)
        (workdir / "boot.sh").write_text(script)
        (workdir / "dbus.conf").write_text(DBUS_CONF)
        (workdir / "nm.conf").write_text(NM_CONF.format(unmanaged=nm_unmanaged))
        (workdir / "enter.sh").write_text(ENTER_SCRIPT.format(pidfile=workdir / "holder.pid"))
        (workdir / "enter.sh").chmod(0o755)
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    # ---- life cycle ------------------------------------------------------------------------

    def start(self) -> DaemonBoot:
        for name in ("ready", "holder.pid", "dbus.pid", "networkd.pid", "networkmanager.pid"):
            (self.dir / name).unlink(missing_ok=True)
        log = (self.dir / "daemons.log").open("ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "--mount", "--uts", "--propagation", "private",
             "sh", str(self.dir / "boot.sh"), str(self.dir), str(self.root), " ".join(self.daemons)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        self.wait_for((self.dir / "ready").exists, 10, "the lab daemons to start")
        return self

    def pid(self, name: str) -> int | None:
        path = self.dir / f"{name}.pid"
        return int(path.read_text()) if path.exists() else None

    def stop(self) -> None:
        """SIGTERM each daemon by its PID, then the bus, then the holder; SIGKILL what is left."""
        for name in ("networkmanager", "networkd", "dbus"):
            pid = self.pid(name)
            if pid is not None:
                _signal(pid, signal.SIGTERM)
                _wait_gone(pid, 5)
                _signal(pid, signal.SIGKILL)
        if self.proc is not None:
            _signal(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None

    def __enter__(self) -> DaemonBoot:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- the daemons' own view, through their private bus ----------------------------------

    def in_lab(self, *cmd: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        """A command in the boot's mount, UTS and network namespaces (its /run, its bus)."""
        assert self.proc is not None, "the lab daemons do not run"
        holder = self.pid("holder")
        full = ["nsenter", "-t", str(holder), "-m", "-u", "-n"]
        if env:
            full += ["env"] + [f"{k}={v}" for k, v in env.items()]
        return sh(*full, *cmd, check=check)

    def networkctl(self, *args: str, check: bool = True) -> str:
        return self.in_lab("networkctl", "--no-pager", *args, check=check).stdout

    def nmcli(self, *args: str, check: bool = True) -> str:
        return self.in_lab("nmcli", *args, check=check).stdout

    def wait_for(self, predicate, timeout: float, what: str) -> float:
        """Seconds since start() when predicate() first held; fails the test after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return time.monotonic() - self.started_at
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"the lab daemons exited while waiting for {what}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}:\n{self.log()}")
            time.sleep(0.02)

    def log(self) -> str:
        path = self.dir / "daemons.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    @property
    def enter_script(self) -> Path:
        return self.dir / "enter.sh"


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # A child of the holder stays a zombie until the holder reaps it.
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
                return
        except (OSError, IndexError):
            return
        time.sleep(0.05)
