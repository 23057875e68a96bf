"""Real Docker and Podman engines confined to a lab network namespace (the demo's and the tests').

An engine runs inside one lab "host" namespace, in a mount namespace of its own with a private /run
and /dev/shm and the cgroup hierarchies mounted again (`ip netns exec` hides them), with every file
(data root, exec root, socket, podman's storage and network configs) under a lab directory. Nothing
is created in the root namespace and the machine's own engine (socket, data, networks), if any, is
never touched. The binaries come from tests/tools/engines.sh (Debian's packages, unpacked).

Clients reach the engine the usual way: `env()` gives DOCKER_HOST for Docker, and a PATH whose
`podman` is a small wrapper entering the engine's mount namespace (every podman call must see the
same private /run). `stop()` removes the containers, stops the engine and deletes its files; it
runs even after a failure and a second call is harmless.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
ENGINES_SCRIPT = TOP / "tests" / "tools" / "engines.sh"
IMAGE = "lab/busybox"


def unpack_engines(cache: Path | None = None) -> Path:
    """The unpacked engine tree (cached: a few milliseconds after the first run)."""
    cmd = [str(ENGINES_SCRIPT)] + ([str(cache)] if cache else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900).stdout.split()
    return Path(out[-1]) / "root"


def cgroup_mounts(mountinfo: str = "/proc/self/mountinfo") -> list[tuple[str, str, str]]:
    """(fstype, options, mountpoint) of each cgroup hierarchy the machine has, to mount them again."""
    mounts = []
    with open(mountinfo, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            sep = fields.index("-")
            fstype, point, superopts = fields[sep + 1], fields[4], fields[sep + 3]
            if fstype in ("cgroup", "cgroup2") and point.startswith("/sys/fs/cgroup"):
                opts = [o for o in superopts.split(",") if o not in ("rw", "ro")]
                mounts.append((fstype, ",".join(opts), point))
    return mounts


def confine_script(tmpdir: Path) -> str:
    """Shell lines that give the current (new) mount namespace a private /run, /dev/shm and cgroups."""
    lines = ["set -e", "mount -t tmpfs -o mode=755 lab-run /run", "mount -t tmpfs -o mode=1777 lab-shm /dev/shm"]
    mounts = cgroup_mounts()
    if mounts and mounts[0][2] != "/sys/fs/cgroup":
        lines.append("mount -t tmpfs -o mode=755 lab-cgroup /sys/fs/cgroup")
    for fstype, opts, point in mounts:
        lines.append(f"mkdir -p {point}")
        lines.append(f"mount -t {fstype} {'-o ' + opts if opts else ''} {fstype} {point}")
    lines.append(f"mkdir -p {tmpdir}")
    return "\n".join(lines)


def busybox_rootfs_tar(tools: Path, dest: Path) -> Path:
    """An image tarball: the static busybox plus one symlink per applet (no registry needed)."""
    busybox = tools / "bin" / "busybox"
    applets = subprocess.run([str(busybox), "--list"], check=True, capture_output=True, text=True).stdout.split()
    root = dest.parent / "rootfs"
    (root / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    for applet in applets:
        link = root / "bin" / applet
        if not link.exists():
            link.symlink_to("busybox")
    for extra in ("etc", "tmp", "proc", "sys", "dev", "run"):
        (root / extra).mkdir(exist_ok=True)
    with tarfile.open(dest, "w") as tar:
        tar.add(root, arcname=".")
    shutil.rmtree(root)
    return dest


class Engine:
    """One engine ('docker' or 'podman') confined to lab namespace `netns`; files under `workdir`."""

    def __init__(self, kind: str, netns: str, workdir: Path, tools: Path):
        if kind not in ("docker", "podman"):
            raise ValueError(kind)
        self.kind, self.netns, self.tools = kind, netns, tools
        self.dir = workdir / kind
        self.bindir = self.dir / "bin"  # the client PATH entry (podman's wrapper)
        self.holder: subprocess.Popen | None = None
        self.start_seconds = 0.0
        # Unix socket paths hold at most 107 bytes and podman's runroot 50: under a deep work directory, dockerd's
        # exec root (containerd's socket) and podman's runroot go to a short directory of their own (named like
        # the tests' engine directories, so a sweep finds it).
        self.execdir = self.dir / "exec"
        if len(str(self.execdir / "runroot")) > 50:
            self.execdir = Path(tempfile.mkdtemp(prefix=f"lmve-{os.getpid()}x", dir="/tmp"))

    # ---- environment ---------------------------------------------------------------------

    def env(self, base: dict | None = None) -> dict:
        """The client environment: what a user sets with Ansible's `environment:`."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = f"{self.bindir}:{env.get('PATH', '/usr/bin:/bin')}"
        if self.kind == "docker":
            env["DOCKER_HOST"] = f"unix://{self.dir / 'docker.sock'}"
        return env

    def cli(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.kind, *args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{self.kind} {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    # ---- life cycle ------------------------------------------------------------------------

    def start(self) -> Engine:
        began = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.bindir.mkdir(exist_ok=True)
        log = open(self.dir / "engine.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with
        script = confine_script(self.dir / "tmp") + "\n" + (self._dockerd() if self.kind == "docker" else "exec sleep infinity")
        # ip netns exec puts the engine into the lab namespace; unshare gives it a mount namespace of its own.
        self.holder = subprocess.Popen(  # pylint: disable=consider-using-with
            ["ip", "netns", "exec", self.netns, "unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        try:
            if self.kind == "podman":
                self._write_podman_config()
            self._wait_ready()
            self._import_image()
        except Exception:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        return self

    def _dockerd(self) -> str:
        d = self.dir
        path = f"{self.tools}/usr/sbin:{self.tools}/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return (
            f"export PATH={path}\nexec dockerd --data-root {d}/data --exec-root {self.execdir} --pidfile {d}/docker.pid "
            f"-H unix://{d}/docker.sock --iptables=false --ip6tables=false --ip-masq=false --bridge=none "
            "--ip-forward=false --userland-proxy=false --storage-driver vfs --no-new-privileges=false"
        )

    def _write_podman_config(self) -> None:
        d, t = self.dir, self.tools
        (d / "containers.conf").write_text(
            "[containers]\n"
            'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
            "[network]\n"
            f'network_config_dir = "{d}/networks"\n'
            "[engine]\n"
            'runtime = "runc"\n'
            'cgroup_manager = "cgroupfs"\n'
            'events_logger = "file"\n'
            f'events_logfile_path = "{d}/events.log"\n'
            f'conmon_path = ["{t}/usr/bin/conmon"]\n'
            f'helper_binaries_dir = ["{t}/usr/lib/podman"]\n'
            f'tmp_dir = "{d}/tmp"\n'
            "[engine.runtimes]\n"
            f'runc = ["{t}/usr/bin/runc"]\n'
        )
        (d / "storage.conf").write_text(f'[storage]\ndriver = "vfs"\nrunroot = "{self.execdir}/runroot"\ngraphroot = "{d}/root"\n')
        wrapper = self.bindir / "podman"
        # Every call enters the engine's mount namespace (its private /run) and network namespace.
        wrapper.write_text(
            "#!/bin/sh\n"
            f"holder=$(cat {d}/holder.pid) || exit 125\n"
            f"exec nsenter -t \"$holder\" -m -n env CONTAINERS_CONF={d}/containers.conf CONTAINERS_STORAGE_CONF={d}/storage.conf "
            f"LD_LIBRARY_PATH={t}/usr/lib/x86_64-linux-gnu PATH={t}/usr/bin:{t}/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin "
            f"{t}/usr/bin/podman --root {d}/root --runroot {self.execdir}/runroot --tmpdir {d}/tmp \"$@\"\n"
        )
        wrapper.chmod(0o755)

    def _inner_pid(self) -> int | None:
        """The engine process: ip netns exec, unshare and sh each exec the next, so it keeps the pid."""
        return None if self.holder is None else self.holder.pid

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.holder.poll() is not None:
                raise RuntimeError(f"{self.kind} in {self.netns} exited at start:\n{(self.dir / 'engine.log').read_text()[-3000:]}")
            pid = self._inner_pid()
            if pid is not None and _comm(pid) in ("dockerd", "sleep"):
                (self.dir / "holder.pid").write_text(str(pid))
                probe = self.cli("info", "--format", "{{json .}}", check=False, timeout=20)
                if probe.returncode == 0:
                    return
                last = probe.stderr.strip()
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} in {self.netns} did not become ready in {timeout:.0f} s: {last}")

    def _import_image(self) -> None:
        tar = busybox_rootfs_tar(self.tools, self.dir / "busybox.tar")
        # Podman asks /etc/containers/policy.json even for a local import: the unpacked one stands in.
        policy = ["--signature-policy", str(self.tools / "etc/containers/policy.json")] if self.kind == "podman" else []
        self.cli("import", *policy, "-c", "ENV PATH=/bin", str(tar), IMAGE, timeout=120)

    def stop(self) -> None:
        """Remove every container, stop the engine, delete its files. Safe to call twice."""
        if self.holder is not None and self.holder.poll() is None:
            self._remove_containers()
            if self.kind == "podman":
                self.cli("network", "prune", "-f", check=False, timeout=30)
            self._stop_holder()
        elif self.holder is not None:
            self._kill_leftovers()
        self.holder = None
        # Storage drivers leave mounts only inside the engine's mount namespace, gone with it.
        for path in (self.dir, self.execdir):
            shutil.rmtree(path, ignore_errors=True)

    def _remove_containers(self) -> None:
        ids = self.cli("ps", "-aq", check=False, timeout=30).stdout.split()
        pids = self._container_pids(ids)
        if ids:
            # A `sleep` as PID 1 ignores SIGTERM: remove by force.
            self.cli("rm", "-f", *(["-t", "0"] if self.kind == "podman" else []), *ids, check=False, timeout=60)
        for pid in pids:
            _kill(pid)

    def _container_pids(self, ids: list[str]) -> list[int]:
        if not ids:
            return []
        out = self.cli("inspect", "--format", "{{.State.Pid}}", *ids, check=False, timeout=30).stdout.split()
        return [int(p) for p in out if p.isdigit() and int(p) > 0]

    def _stop_holder(self) -> None:
        inner = self._inner_pid()
        for pid in {inner, self.holder.pid} - {None}:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.holder.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.holder.pid, signal.SIGKILL)
            self.holder.wait(timeout=5)
        self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        """containerd, shims and conmon run in the engine's session: nothing of it may outlive the lab."""
        if self.holder is None:
            return
        try:
            os.killpg(self.holder.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    # ---- containers and networks ------------------------------------------------------------

    def run(self, name: str, *options: str, command: tuple[str, ...] = ("sleep", "3600")) -> str:
        """Start a detached container from the lab image; returns its id."""
        return self.cli("run", "-d", "--name", name, *options, IMAGE, *command, timeout=60).stdout.strip()

    def exec(self, name: str, *cmd: str, check: bool = False, timeout: float = 20) -> subprocess.CompletedProcess:
        return self.cli("exec", name, *cmd, check=check, timeout=timeout)

    def ping(self, name: str, address: str, tries: int = 3) -> bool:
        """Ping from inside a container (busybox ping)."""
        flag = "-6" if ":" in address else "-4"
        for _attempt in range(tries):
            if self.exec(name, "ping", flag, "-c", "1", "-W", "1", address).returncode == 0:
                return True
            time.sleep(0.2)
        return False

    def pid(self, name: str) -> int:
        return int(self.cli("inspect", "--format", "{{.State.Pid}}", name).stdout.strip())

    def network_inspect(self, name: str) -> dict:
        return json.loads(self.cli("network", "inspect", name).stdout)[0]


class _Adopted:
    """The holder of an engine started by another process (the command line below): enough of Popen for stop()."""

    def __init__(self, pid: int):
        self.pid = pid

    def poll(self) -> int | None:
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return 0
        return 0 if state in ("Z", "X") else None

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.05)
        return 0


def attach(kind: str, netns: str, workdir: Path, tools: Path) -> Engine | None:
    """The engine a `start` command left running under workdir, or None when there is none."""
    engine = Engine(kind, netns, workdir, tools)
    try:
        state = json.loads((engine.dir / "state.json").read_text())
    except (OSError, ValueError):
        return None
    engine.holder = _Adopted(int(state["holder"]))
    engine.execdir = Path(state["execdir"])
    return engine


def main(argv: list[str] | None = None) -> int:
    """`engine_lab.py start|stop --kind docker --netns NS --workdir DIR [--tools DIR]`: an engine that outlives the
    command (Molecule's prepare starts it, cleanup or the lab's destroy stops it). `start` prints the client
    environment as JSON; `stop` is harmless when nothing runs, and removes the engine's files."""
    import argparse  # pylint: disable=import-outside-toplevel

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--kind", choices=["docker", "podman"], default="docker")
    parser.add_argument("--netns", required=True)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--tools", type=Path, help="the unpacked engine tree (default: tests/tools/engines.sh's)")
    args = parser.parse_args(argv)
    if args.action == "stop":
        engine = attach(args.kind, args.netns, args.workdir, args.tools or Path("/nonexistent"))
        if engine is not None:
            engine.stop()
        print(json.dumps({"stopped": engine is not None}))
        return 0
    tools = args.tools or unpack_engines()
    engine = Engine(args.kind, args.netns, args.workdir, tools).start()
    (engine.dir / "state.json").write_text(json.dumps({"holder": engine.holder.pid, "execdir": str(engine.execdir)}))
    client = {k: v for k, v in engine.env().items() if k in ("DOCKER_HOST",)}
    # The client: an installed one first, else the unpacked one.
    client["PATH"] = f"{engine.bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}:{tools}/usr/bin"
    print(json.dumps({"env": client, "seconds": round(engine.start_seconds, 2)}))
    return 0


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
