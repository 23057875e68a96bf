"""Test a playbook against a lab of network namespaces, with pytest-ansible (as root).

Run: ANSIBLE_COLLECTIONS_PATH=<where linuxnet.macvlan is installed> pytest --ansible-unit-inject-only
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader()  # pytest-ansible looks collection modules up before Ansible loads its plugins
PLAYBOOK = Path(__file__).with_name("playbook.yml")
PREFIX = f"lmvp{os.getpid()}x{secrets.token_hex(2)}"  # unique per run: never clash with another lab


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def lab(tmp_path):
    """A host with eth0 cabled to a LAN peer, and an empty container; removed even on failure.
    Everything is created inside the lab's namespaces, never in the machine's own."""
    host, lan, container = f"{PREFIX}-host", f"{PREFIX}-lan", f"{PREFIX}-ctr"
    try:
        for ns in (host, lan, container):
            ip("netns", "add", ns)
        ip("-n", host, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", lan)
        ip("-n", host, "link", "set", "eth0", "up")
        ip("-n", lan, "address", "add", "192.0.2.1/24", "dev", "eth0")
        ip("-n", lan, "link", "set", "eth0", "up")
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(json.dumps({"all": {
            "vars": {
                "ansible_connection": "linuxnet.macvlan.netns",  # each host is a namespace
                "ansible_python_interpreter": sys.executable,  # same filesystem: this Python
            },
            "hosts": {"docker_host": {"ansible_netns_name": host, "container_netns": container}},
        }}))
        yield {"inventory": inventory, "container": container}
    finally:
        for ns in (container, lan, host):
            subprocess.run(["ip", "netns", "delete", ns], check=False)


def run_playbook(inventory: Path) -> int:
    """Run the playbook as a user would; the number of changed tasks from the recap."""
    out = subprocess.run([Path(sys.executable).with_name("ansible-playbook"), "-i", inventory, PLAYBOOK],
                         check=True, capture_output=True, text=True).stdout
    return sum(int(n) for n in re.findall(r"changed=(\d+)", out))


def test_playbook_attaches_the_container(lab, ansible_adhoc):
    assert run_playbook(lab["inventory"]) == 1
    assert run_playbook(lab["inventory"]) == 0, "the playbook is not idempotent"
    # Look at the result through Ansible (pytest-ansible) and through the kernel (ip).
    hosts = ansible_adhoc(inventory=str(lab["inventory"]))
    info = getattr(hosts["docker_host"], "linuxnet.macvlan.macvlan_info")(netns=lab["container"])
    (link,) = info["docker_host"]["links"]
    assert (link["name"], link["parent"], link["mode"]) == ("eth0", "eth0", "bridge")
    addresses = json.loads(ip("-n", lab["container"], "-j", "address", "show", "dev", "eth0"))
    assert "192.0.2.10" in {a["local"] for a in addresses[0]["addr_info"]}
    ping = ["ip", "netns", "exec", lab["container"], "ping", "-c", "1", "-W", "2", "192.0.2.1"]
    assert subprocess.run(ping, capture_output=True, check=False).returncode == 0, "the container does not reach the LAN"
