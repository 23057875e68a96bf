# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Docker and Podman, asked through their own CLIs (the only code that runs an engine).

A container is found by name or id with `docker|podman container inspect`; its network namespace is
that of its init process (/proc/PID/ns/net), which works from any mount namespace, unlike the engines'
own namespace files. The engine is reached the usual way: its CLI on PATH and its usual environment
(DOCKER_HOST, CONTAINER_HOST), which users set with Ansible's `environment:`.

Every failure is a MacvlanError naming the container (or network) and the engine. The parsing of the
engines' JSON is pure and unit-tested; `run_engine` is the one place a process is started.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import CONTAINER_ENGINES
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError

ENGINES = CONTAINER_ENGINES
ENGINE_LABELS = {"docker": "Docker", "podman": "Podman"}
CLI_TIMEOUT = 60
# What each CLI says when it does not know an object (everything else is the engine failing).
NOT_FOUND_HINTS = ("no such container", "no such object", "no such network", "network not found", "unable to find network")


class EngineUnavailable(MacvlanError):
    """The engine's CLI is missing, or it cannot reach its daemon/storage."""


class NotKnown(MacvlanError):
    """The engine works, but does not know the container or network."""


@dataclass(frozen=True)
class Endpoint:
    """A container's attachment to one of its engine's networks (the engine owns that interface)."""

    network: str
    mac_address: str | None
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Container:
    engine: str
    id: str
    name: str
    running: bool
    pid: int
    endpoints: tuple[Endpoint, ...] = ()

    @property
    def netns(self) -> str:
        """The namespace file of the container's init process."""
        return f"/proc/{self.pid}/ns/net"

    @property
    def label(self) -> str:
        """How messages name the container."""
        return f"container {self.name!r} ({ENGINE_LABELS[self.engine]})"

    def owned_macs(self) -> tuple[tuple[str, str], ...]:
        """(MAC, owner) of each interface the engine created for one of its networks."""
        return tuple(
            (ep.mac_address.lower(), f"{ENGINE_LABELS[self.engine]} network {ep.network!r}") for ep in self.endpoints if ep.mac_address
        )

    @property
    def dhcp_owner(self) -> str:
        """What a DHCP client of the container's links is keyed by: the same for a re-created container."""
        return f"{self.engine}-{self.name}"

    def result(self) -> dict:
        return {"name": self.name, "id": self.id, "engine": self.engine}


def run_engine(engine: str, args: list[str], subject: str) -> str:
    """stdout of `<engine> <args>`; EngineUnavailable or NotKnown (naming `subject`) on failure."""
    cli = shutil.which(engine)
    label = ENGINE_LABELS[engine]
    if cli is None:
        raise EngineUnavailable(f"{subject}: {label} is not installed (no {engine!r} command on PATH)")
    try:
        proc = subprocess.run(
            [cli, *args], capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False, env=dict(os.environ, LC_ALL="C")
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineUnavailable(f"{subject}: `{engine} {' '.join(args)}` did not answer within {CLI_TIMEOUT} s") from exc
    except OSError as exc:
        raise EngineUnavailable(f"{subject}: cannot run {cli}: {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.split())[:400] or f"exit status {proc.returncode}"
        if any(hint in detail.lower() for hint in NOT_FOUND_HINTS):
            raise NotKnown(f"{subject}: {label} does not know it ({detail})")
        raise EngineUnavailable(f"{subject}: {label} cannot be reached ({detail}); is its daemon running, and DOCKER_HOST/CONTAINER_HOST right?")
    return proc.stdout


def parse_container(engine: str, data: dict) -> Container:
    """One entry of `container inspect` (Docker and Podman share these keys)."""
    state = data.get("State") or {}
    endpoints = []
    for network, settings in sorted(((data.get("NetworkSettings") or {}).get("Networks") or {}).items()):
        settings = settings or {}
        addresses = tuple(
            f"{settings[key]}/{settings.get(length) or (32 if key == 'IPAddress' else 128)}"
            for key, length in (("IPAddress", "IPPrefixLen"), ("GlobalIPv6Address", "GlobalIPv6PrefixLen"))
            if settings.get(key)
        )
        endpoints.append(Endpoint(network, settings.get("MacAddress") or None, addresses))
    return Container(
        engine=engine,
        id=data.get("Id", ""),
        name=(data.get("Name") or "").lstrip("/"),
        running=bool(state.get("Running")),
        pid=int(state.get("Pid") or 0),
        endpoints=tuple(endpoints),
    )


def inspect_container(engine: str, ref: str) -> Container:
    out = run_engine(engine, ["container", "inspect", ref], f"container={ref}")
    try:
        entries = json.loads(out)
    except ValueError as exc:
        raise EngineUnavailable(f"container={ref}: {ENGINE_LABELS[engine]} answered with something that is not JSON") from exc
    if not entries:
        raise NotKnown(f"container={ref}: {ENGINE_LABELS[engine]} does not know it")
    return parse_container(engine, entries[0])


def find_container(ref: str, engine: str = "auto") -> Container:
    """The running container `ref` (a name or id); `auto` asks both engines and needs exactly one to know it."""
    if not ref or any(c.isspace() for c in ref) or ref.startswith("-"):
        raise MacvlanError(f"container={ref!r}: a container name or id has no whitespace and does not start with '-'")
    engines = ENGINES if engine == "auto" else (engine,)
    found, failures = [], []
    for candidate in engines:
        try:
            found.append(inspect_container(candidate, ref))
        except MacvlanError as exc:
            if engine != "auto":
                raise
            failures.append(exc)
    if not found:
        if all(isinstance(exc, EngineUnavailable) for exc in failures):
            reasons = "; ".join(str(exc).split(": ", 1)[1] for exc in failures)
            raise EngineUnavailable(f"container={ref}: no container engine could be asked ({reasons})")
        reasons = "; ".join(str(exc).split(": ", 1)[1] for exc in failures)
        raise NotKnown(f"container={ref}: no such container ({reasons})")
    if len(found) > 1:
        both = " and ".join(f"{ENGINE_LABELS[c.engine]} (id {c.id[:12]})" for c in found)
        raise MacvlanError(f"container={ref}: both {both} know a container of that name; set container_engine to choose one")
    container = found[0]
    if not container.running or container.pid <= 0:
        raise MacvlanError(f"container={ref}: {container.label} is not running, so it has no network namespace; start it first")
    return container


def running_containers(engines: tuple[str, ...] = ENGINES) -> tuple[list[Container], list[str]]:
    """Every running container each available engine knows, and a note per engine that could not be asked
    although its CLI is installed (an engine that is simply not installed is no news)."""
    containers, notes = [], []
    for engine in engines:
        if shutil.which(engine) is None:
            continue
        try:
            ids = run_engine(engine, ["ps", "-q", "--no-trunc"], "listing containers").split()
            if ids:
                entries = json.loads(run_engine(engine, ["container", "inspect", *ids], "listing containers"))
                containers.extend(c for c in (parse_container(engine, e) for e in entries) if c.running and c.pid > 0)
        except (MacvlanError, ValueError) as exc:
            notes.append(f"{ENGINE_LABELS[engine]}: {exc}")
    return containers, notes


def container_where(container: Container) -> str:
    """How link messages name a container's namespace."""
    return f"{container.label}, namespace file {container.netns}"
