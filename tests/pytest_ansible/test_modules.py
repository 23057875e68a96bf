"""Every module of the collection through Ansible's executor, driven by pytest-ansible.

Check mode and diff mode are left to tests/integration (pytest-ansible ignores both).
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import COLLECTION, INVENTORY, TOP, action_group, run
from pytest_ansible.errors import AnsibleConnectionFailure

from lab import sh


def ip_link(ns: str, name: str) -> dict | None:
    result = sh("ip", "-n", ns, "-d", "-j", "link", "show", "dev", name, check=False)
    return json.loads(result.stdout)[0] if result.returncode == 0 else None


def global_addrs(ns: str, name: str) -> list[str]:
    out = json.loads(sh("ip", "-n", ns, "-j", "addr", "show", "dev", name).stdout)
    return sorted(f"{a['local']}/{a['prefixlen']}" for a in out[0].get("addr_info", []) if a.get("scope") == "global")


def macvlan_mode(link: dict) -> str:
    return link["linkinfo"]["info_data"]["mode"]


def test_macvlan_link_in_the_hosts_namespace(palab, hosts):
    """No netns option: the module runs where the connection put it, h1's namespace."""
    args = {"name": "mvpa0", "parent": "eth0", "mode": "private", "addresses": ["10.79.0.5/24"]}
    first = run(hosts, "h1", f"{COLLECTION}.macvlan_link", **args)
    assert not first.get("failed"), first.get("msg", first)
    assert first["changed"] is True
    link = ip_link(palab.h1, "mvpa0")
    assert link is not None, "the link is not in h1's namespace"
    assert link["linkinfo"]["info_kind"] == "macvlan" and macvlan_mode(link) == "private"
    assert global_addrs(palab.h1, "mvpa0") == ["10.79.0.5/24"]
    assert first["link"]["mac_address"] == link["address"]
    assert ip_link(palab.lan, "mvpa0") is None
    second = run(hosts, "h1", f"{COLLECTION}.macvlan_link", **args)
    assert second["changed"] is False, second
    gone = run(hosts, "h1", f"{COLLECTION}.macvlan_link", name="mvpa0", state="absent")
    assert gone["changed"] is True and ip_link(palab.h1, "mvpa0") is None


def test_macvlan_netns_gives_a_container_a_working_link(palab, hosts):
    args = {"name": "eth0", "netns": palab.c2, "parent": "eth0", "mode": "bridge", "addresses": ["10.79.0.12/24"], "mac_address_seed": "c2"}
    first = run(hosts, "h1", f"{COLLECTION}.macvlan_netns", **args)
    assert not first.get("failed"), first.get("msg", first)
    assert first["changed"] is True
    link = ip_link(palab.c2, "eth0")
    assert link is not None and link["linkinfo"]["info_kind"] == "macvlan" and macvlan_mode(link) == "bridge"
    assert global_addrs(palab.c2, "eth0") == ["10.79.0.12/24"]
    assert palab.lab.ping(palab.c2, "10.79.0.254"), "the container does not reach the LAN through its macvlan"
    assert run(hosts, "h1", f"{COLLECTION}.macvlan_netns", **args)["changed"] is False
    gone = run(hosts, "h1", f"{COLLECTION}.macvlan_netns", name="eth0", netns=palab.c2, state="absent")
    assert gone["changed"] is True and ip_link(palab.c2, "eth0") is None


def test_macvlan_promisc_on_the_lan_peer(palab, hosts):
    # pytest-ansible passes a string argument as _raw_params (free-form modules only), not as
    # `-a 'k=v'` would be parsed: keyword arguments it is.
    first = run(hosts, "lan", f"{COLLECTION}.macvlan_promisc", name="eth0", promisc=True)
    assert not first.get("failed"), first.get("msg", first)
    assert first["changed"] is True and first["promisc"] is True
    assert "PROMISC" in ip_link(palab.lan, "eth0")["flags"]
    assert "PROMISC" not in ip_link(palab.h1, "eth0")["flags"]
    assert run(hosts, "lan", f"{COLLECTION}.macvlan_promisc", name="eth0", promisc=True)["changed"] is False
    run(hosts, "lan", f"{COLLECTION}.macvlan_promisc", name="eth0", promisc=False)
    assert "PROMISC" not in ip_link(palab.lan, "eth0")["flags"]


@pytest.mark.ansible(host_pattern="h1", connection=f"{COLLECTION}.netns", inventory=str(INVENTORY))
def test_macvlan_info_with_the_ansible_module_fixture(palab, ansible_module):
    sh("ip", "-n", palab.h1, "link", "add", "mvinfo0", "link", "eth0", "type", "macvlan", "mode", "vepa")
    try:
        result = getattr(ansible_module, f"{COLLECTION}.macvlan_info")(name="mvinfo0")["h1"]
        assert not result.get("failed"), result.get("msg", result)
        assert result["changed"] is False
        (entry,) = result["links"]
        kernel = ip_link(palab.h1, "mvinfo0")
        assert (entry["name"], entry["parent"], entry["mode"], entry["mac_address"]) == ("mvinfo0", "eth0", "vepa", kernel["address"])
    finally:
        sh("ip", "-n", palab.h1, "link", "del", "mvinfo0", check=False)


def test_macvlan_links_many_links_in_one_task(palab, hosts):
    module_file = TOP / "plugins" / "modules" / "macvlan_links.py"
    if not module_file.exists():
        pytest.skip(f"{module_file.relative_to(TOP)} does not exist yet (another change adds it)")
    names = ["mvmany0", "mvmany1"]
    config = [{"name": name, "parent": "eth0", "mode": "bridge"} for name in names]
    first = run(hosts, "h1", f"{COLLECTION}.macvlan_links", config=config, state="merged")
    assert not first.get("failed"), first.get("msg", first)
    assert first["changed"] is True
    for name in names:
        link = ip_link(palab.h1, name)
        assert link is not None and macvlan_mode(link) == "bridge", name
    assert run(hosts, "h1", f"{COLLECTION}.macvlan_links", config=config, state="merged")["changed"] is False
    gathered = run(hosts, "h1", f"{COLLECTION}.macvlan_links", state="gathered")
    assert not gathered.get("failed"), gathered.get("msg", gathered)
    assert isinstance(gathered.get("gathered"), list), f"no `gathered` list in the result: {sorted(gathered)}"
    assert set(names) <= {entry["name"] for entry in gathered["gathered"]}
    gone = run(hosts, "h1", f"{COLLECTION}.macvlan_links", config=[{"name": n, "parent": "eth0"} for n in names], state="deleted")
    assert not gone.get("failed"), gone.get("msg", gone)
    assert gone["changed"] is True
    assert all(ip_link(palab.h1, name) is None for name in names)


def test_module_defaults_through_the_action_group(palab, hosts, tmp_path):
    """`group/linuxnet.macvlan.<group>` gives every module its netns: run from h1, the work
    lands in the LAN peer's namespace, which only the defaults name."""
    group, members = action_group()
    tasks = [
        {
            "name": "Every module of the collection on one namespace, set once",
            "module_defaults": {group: {"netns": "{{ lmvp_lan_netns }}"}},
            "block": [
                {"name": "Promiscuous parent", f"{COLLECTION}.macvlan_promisc": {"name": "eth0", "promisc": True}},
                {"name": "A macvlan", f"{COLLECTION}.macvlan_link": {"name": "mvdef0", "parent": "eth0", "mode": "private"}},
                {"name": "Read it back", f"{COLLECTION}.macvlan_info": {"name": "mvdef0"}, "register": "lmvp_info"},
                {"name": "The defaults reached macvlan_info too", "ansible.builtin.assert": {"that": ["lmvp_info.links | length == 1"]}},
                {"name": "Remove it", f"{COLLECTION}.macvlan_link": {"name": "mvdef0", "state": "absent"}},
                {"name": "Many links, one task", f"{COLLECTION}.macvlan_links": {"config": [{"name": "mvdef1", "parent": "eth0"}]}},
                {"name": "And away again", f"{COLLECTION}.macvlan_links": {"state": "deleted", "config": [{"name": "mvdef1"}]}},
                {"name": "Clear the flag", f"{COLLECTION}.macvlan_promisc": {"name": "eth0", "promisc": False}},
            ],
        }
    ]
    assert {"macvlan_promisc", "macvlan_link", "macvlan_info", "macvlan_links"} <= set(members)
    tasks_file = tmp_path / "module_defaults.yml"
    tasks_file.write_text(json.dumps(tasks))
    # Watch the LAN namespace while the tasks run: the link must appear there, not in h1.
    monitor = tmp_path / "monitor.log"
    with open(monitor, "w") as log:
        import subprocess

        watcher = subprocess.Popen(["ip", "-n", palab.lan, "monitor", "link"], stdout=log, stderr=subprocess.STDOUT)
        try:
            result = run(hosts, "h1", "ansible.builtin.include_tasks", file=str(tasks_file))
        finally:
            watcher.terminate()
            watcher.wait()
    assert not result.get("failed"), result.get("msg", result)
    seen = monitor.read_text()
    assert re.search(r"mvdef0@eth0", seen), f"mvdef0 never appeared in the LAN namespace:\n{seen}"
    assert re.search(r"mvdef1@eth0", seen), f"macvlan_links did not take the group's netns:\n{seen}"
    assert "PROMISC" in seen
    assert ip_link(palab.lan, "mvdef0") is None and ip_link(palab.h1, "mvdef0") is None
    assert "PROMISC" not in ip_link(palab.lan, "eth0")["flags"]


def test_bad_arguments_fail_with_ansibles_own_messages(palab, hosts):
    before = sh("ip", "-n", palab.h1, "-d", "-j", "link", "show").stdout
    bad_choice = run(hosts, "h1", f"{COLLECTION}.macvlan_link", name="mvbad0", parent="eth0", mode="sideways")
    assert bad_choice.get("failed") is True
    assert bad_choice["msg"].startswith("value of mode must be one of: "), bad_choice["msg"]
    assert "got: sideways" in bad_choice["msg"]
    unknown = run(hosts, "h1", f"{COLLECTION}.macvlan_promisc", name="eth0", promisc=True, colour="red")
    assert unknown.get("failed") is True
    assert unknown["msg"].startswith(f"Unsupported parameters for ({COLLECTION}.macvlan_promisc) module: colour."), unknown["msg"]
    missing = run(hosts, "h1", f"{COLLECTION}.macvlan_netns", name="eth0", netns=palab.c2)
    assert missing.get("failed") is True and "parent" in missing["msg"], missing["msg"]
    assert sh("ip", "-n", palab.h1, "-d", "-j", "link", "show").stdout == before


def test_modules_are_shipped_as_ansiballz_payloads(palab, hosts, monkeypatch):
    """Keep the remote files of one run and open the payload Ansible sent to the host: the
    module and every module_utils file it imports travel inside it."""
    import ansible.constants

    monkeypatch.setattr(ansible.constants, "DEFAULT_KEEP_REMOTE_FILES", True)
    remote_tmp = palab.dir / "remote-tmp"
    known = set(remote_tmp.glob("ansible-tmp-*")) if remote_tmp.exists() else set()
    result = run(hosts, "h1", f"{COLLECTION}.macvlan_info")
    assert not result.get("failed"), result.get("msg", result)
    (tmpdir,) = set(remote_tmp.glob("ansible-tmp-*")) - known
    wrapper = (tmpdir / "AnsiballZ_macvlan_info.py").read_text()
    payload = re.search(r"^zip_data='([A-Za-z0-9+/=]+)'", wrapper, re.M)
    assert payload, "no zip_data in the AnsiballZ wrapper"
    names = set(zipfile.ZipFile(io.BytesIO(base64.b64decode(payload.group(1)))).namelist())
    base = "ansible_collections/linuxnet/macvlan/plugins"
    assert f"{base}/modules/macvlan_info.py" in names
    assert {f"{base}/module_utils/_netlink/namespace_socket.py", f"{base}/module_utils/_netlink/reader.py", f"{base}/module_utils/_common/errors.py"} <= names
    assert "ansible/module_utils/basic.py" in names


def test_missing_namespace_is_unreachable_with_the_connections_message(palab, hosts):
    with pytest.raises(AnsibleConnectionFailure) as failure:
        run(hosts, "missing", f"{COLLECTION}.macvlan_info")
    message = json.dumps(failure.value.dark)
    assert palab.missing in message, message
    assert not Path(f"/run/netns/{palab.missing}").exists(), "the connection created the namespace"
