"""The netns connection plugin, driven through the real `ansible` / `ansible-playbook`
commands against lab namespaces: what a host sees, file transfer, and its errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
IMPORT_ROOT = TOP / "build" / "pyroot"  # ansible_collections/linuxnet/macvlan -> the checkout
BIN = Path(sys.executable).parent
CONNECTION = "linuxnet.macvlan.netns"
TIMEOUT = 120  # a hang is a failure, not a stuck suite


def ansible_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(IMPORT_ROOT),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "local-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    env.pop("ANSIBLE_CONFIG", None)
    env.update(extra)
    return env


def write_inventory(tmp_path: Path, hosts: dict[str, dict]) -> Path:
    inventory = {
        "all": {
            "vars": {"ansible_connection": CONNECTION, "ansible_python_interpreter": sys.executable},
            "hosts": hosts,
        }
    }
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inventory))
    return path


def run_adhoc(tmp_path: Path, inventory: Path, host: str, module: str, args: str = "",
              env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run one module on one host; return the process and the host's result (tree callback)."""
    tree = tmp_path / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    cmd = [str(BIN / "ansible"), host, "-i", str(inventory), "-m", module]
    if args:
        cmd += ["-a", args]
    run_env = env or ansible_env(tmp_path)
    run_env.update(
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.tree",
        ANSIBLE_CALLBACK_TREE_DIR=str(tree),
    )
    proc = subprocess.run(cmd, env=run_env, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    result_file = tree / host
    result = json.loads(result_file.read_text()) if result_file.exists() else None
    return proc, result


def run_playbook(tmp_path: Path, inventory: Path, playbook: str, env: dict | None = None) -> subprocess.CompletedProcess:
    path = tmp_path / "playbook.yml"
    path.write_text(playbook)
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(path)],
        env=env or ansible_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )


def link_names(result: dict) -> list[str]:
    return sorted(link["ifname"] for link in json.loads(result["stdout"]))


@pytest.mark.parametrize("pipelining", ["False", "True"])
def test_commands_see_only_their_namespace(tmp_path, host_lab, pipelining):
    inventory = write_inventory(tmp_path, {"h1": {"ansible_netns_name": host_lab.ns("h1")}})
    env = ansible_env(tmp_path, ANSIBLE_PIPELINING=pipelining)

    proc, result = run_adhoc(tmp_path, inventory, "h1", "ansible.builtin.command", "ip -j link show", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert link_names(result) == ["eth0", "lo"]
    eth0 = next(link for link in json.loads(result["stdout"]) if link["ifname"] == "eth0")
    # The very link the lab made: same MAC as seen from outside.
    assert eth0["address"] == host_lab.link(host_lab.ns("h1"), "eth0")["address"]

    # /sys is remounted for the namespace (ip netns exec semantics), so facts describe it too.
    proc, result = run_adhoc(tmp_path, inventory, "h1", "ansible.builtin.setup", "filter=ansible_interfaces", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(result["ansible_facts"]["ansible_interfaces"]) == ["eth0", "lo"]

    proc, result = run_adhoc(tmp_path, inventory, "h1", "ansible.builtin.command", "ip -j addr show dev eth0", env=env)
    addrs = [a["local"] for a in json.loads(result["stdout"])[0]["addr_info"] if a["scope"] == "global"]
    assert addrs == ["10.77.0.1"]


def test_namespace_name_falls_back_to_ansible_host_then_inventory_hostname(tmp_path, host_lab):
    inventory = write_inventory(
        tmp_path,
        {
            # ansible_netns_name beats ansible_host ...
            "named": {"ansible_host": host_lab.ns("lan"), "ansible_netns_name": host_lab.ns("h1")},
            # ... ansible_host beats the inventory name ...
            "by_host": {"ansible_host": host_lab.ns("h1")},
            # ... and the inventory name is the last resort.
            host_lab.ns("lan"): {},
        },
    )
    expected = {"named": "10.77.0.1", "by_host": "10.77.0.1", host_lab.ns("lan"): "10.77.0.254"}
    for host, address in expected.items():
        proc, result = run_adhoc(tmp_path, inventory, host, "ansible.builtin.command", "ip -j addr show dev eth0")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        addrs = [a["local"] for a in json.loads(result["stdout"])[0]["addr_info"] if a["scope"] == "global"]
        assert addrs == [address], host


def test_missing_namespace_is_a_clear_error(tmp_path, lab):
    missing = lab.ns("absent")  # the lab's prefix, never created
    inventory = write_inventory(tmp_path, {"ghost": {"ansible_netns_name": missing}})
    proc, result = run_adhoc(tmp_path, inventory, "ghost", "ansible.builtin.ping")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 4, output  # the host is unreachable
    assert result["unreachable"] is True
    assert f"network namespace '{missing}' does not exist" in result["msg"]
    assert f"ip netns add {missing}" in result["msg"]
    assert "Traceback" not in output
    assert missing not in os.listdir("/run/netns"), "the connection must never create a namespace"


def test_a_namespace_name_with_a_slash_is_refused(tmp_path, lab):
    inventory = write_inventory(tmp_path, {"bad": {"ansible_netns_name": "../../proc/1/ns/net"}})
    proc, result = run_adhoc(tmp_path, inventory, "bad", "ansible.builtin.ping")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "is not a network namespace name" in result["msg"]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_non_root_is_a_clear_error(tmp_path, host_lab):
    """The real `ansible` CLI with the effective uid reported as 65534: a genuinely
    unprivileged run would also need a Python that such a user may execute, which a venv
    built from root's pyenv is not."""
    inventory = write_inventory(tmp_path, {"h1": {"ansible_netns_name": host_lab.ns("h1")}})
    tree = tmp_path / "tree"
    env = ansible_env(
        tmp_path,
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.tree",
        ANSIBLE_CALLBACK_TREE_DIR=str(tree),
    )
    unprivileged_ansible = (
        "import os, sys\n"
        "os.geteuid = lambda: 65534\n"
        "from ansible.cli.adhoc import main\n"
        "sys.argv = ['ansible', 'h1', '-i', sys.argv[1], '-m', 'ansible.builtin.ping']\n"
        "sys.exit(main())\n"
    )
    proc = subprocess.run([sys.executable, "-c", unprivileged_ansible, str(inventory)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 4, output
    result = json.loads((tree / "h1").read_text())
    assert result["unreachable"] is True
    assert "Ansible must run as root on the controller" in result["msg"]
    assert "uid 65534" in result["msg"]
    assert "Traceback" not in output


def test_files_go_in_and_come_back(tmp_path, host_lab):
    """put_file and fetch_file work as the local connection's: one shared filesystem."""
    inventory = write_inventory(tmp_path, {"h1": {"ansible_netns_name": host_lab.ns("h1")}})
    source = tmp_path / "source.txt"
    source.write_text("written by the netns connection\n")
    dest = tmp_path / "lab" / "h1" / "copied.txt"
    fetched = tmp_path / "fetched"
    playbook = f"""
- name: Transfer files through the netns connection
  hosts: h1
  gather_facts: false
  tasks:
    - name: Copy a file in
      ansible.builtin.copy:
        src: {source}
        dest: {dest}
        mode: "0644"
    - name: Copy it again (nothing to do)
      ansible.builtin.copy:
        src: {source}
        dest: {dest}
        mode: "0644"
      register: again
    - name: Read it back
      ansible.builtin.slurp:
        src: {dest}
      register: back
    - name: Fetch it
      ansible.builtin.fetch:
        src: {dest}
        dest: {fetched}/
        flat: true
    - name: Write from inside the namespace what its eth0 is
      ansible.builtin.shell:
        cmd: cat /sys/class/net/eth0/address > {dest.parent}/eth0-mac
        creates: {dest.parent}/eth0-mac
    - name: Check
      ansible.builtin.assert:
        that:
          - not again.changed
          - (back.content | b64decode) == {source.read_text()!r}
"""
    dest.parent.mkdir(parents=True)
    proc = run_playbook(tmp_path, inventory, playbook)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert dest.read_text() == source.read_text()
    assert (fetched / "copied.txt").read_text() == source.read_text()
    # /sys inside is the namespace's: the MAC is the lab eth0's, not any of the machine's.
    assert (dest.parent / "eth0-mac").read_text().strip() == host_lab.link(host_lab.ns("h1"), "eth0")["address"]
