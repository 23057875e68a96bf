"""Values that would reach a shell or a unit file: the role refuses them before anything changes,
naming the variable and the character, for every backend; nothing is written, no shim is made,
and a marker file that an injected command would create never appears. (The files the role does
write carry every value shell-quoted, and still load: test_host_shim_persist.py runs the systemd
unit's commands, Debian's ifup and systemd-analyze verify on them, test_host_shim_daemons.py the
real systemd-networkd and NetworkManager.)"""

from __future__ import annotations

import pytest

from shim_lab import ROUTES

BACKENDS = ["systemd", "ifupdown", "networkd", "networkmanager"]
# Interface names the kernel accepts (no '/', ':' or whitespace besides the newline case) that
# mean something to a shell, to systemd, to ifupdown or to networkd's Name= globs.
HOSTILE_NAMES = [("sh$(id)", "'$'"), ("a;id", "';'"), ("a`id`", "'`'"), ("a%n", "'%'"), ("a'b", '"\'"'), ('a"b', "'\"'"),
                 ("a\nb", "'\\n'"), ("sh*", "'*'")]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(HOSTILE_NAMES)))
def test_hostile_names_and_values_are_refused_before_anything_changes(shim_lab, index):
    name, char = HOSTILE_NAMES[index]
    backend = BACKENDS[index % len(BACKENDS)]
    marker = shim_lab.tmp / "marker"
    # Every other value may hold a longer command: it would create the marker.
    touch = f"$(touch {marker})"
    failed = shim_lab.play(
        backend, expect_failure=True, host_shim_name=name,
        host_shim_addresses=["10.77.0.250/32", f"fd00:77::250/128;touch {marker}"],
        host_shim_routes=[ROUTES[0], f"`touch {marker}`"],
        host_shim_networkd_parent_network=f"10-eth0.network\n[Network]\nAddress={touch}",
    )
    out = failed["out"]
    assert f"host_shim_name={name!r}: {char}" in out, out[-3000:]
    assert f"host_shim_addresses entry 'fd00:77::250/128;touch {marker}': ';' (U+003B) is refused" in out
    assert f"host_shim_routes entry '`touch {marker}`': '`' (U+0060) is refused" in out
    assert "host_shim_networkd_parent_network=" in out and "'\\n' (U+000A) is refused" in out
    assert "Nothing was changed." in out
    assert shim_lab.written() == {} and shim_lab.runtime() == {}
    assert not marker.exists()


@pytest.mark.slow
def test_a_hostile_name_is_fine_without_persistence(shim_lab):
    """The kernel takes such a name and netlink carries it as bytes: only persistence refuses it."""
    assert shim_lab.play("none", host_shim_name="sh$(id)")["changed"] > 0
    assert shim_lab.lab.link(shim_lab.h1, "sh$(id)") is not None
    assert shim_lab.written() == {}
