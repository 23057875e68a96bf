"""Wireless, driver and VM detection on fake sysfs/DMI/proc trees."""

from __future__ import annotations

import os

import pytest

from ansible_collections.linuxnet.macvlan.plugins.module_utils._facts.host_facts import (
    detect_vm,
    nic_facts,
    vm_from_dmi,
    vm_warning,
    wireless_warning,
)


def write(root, relative: str, content: str = "") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content + "\n")


def dmi(root, **values: str) -> None:
    for name, value in values.items():
        write(root, f"sys/class/dmi/id/{name}", value)


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"sys_vendor": "VMware, Inc.", "product_name": "VMware Virtual Platform"}, "vmware"),
        ({"sys_vendor": "innotek GmbH", "product_name": "VirtualBox"}, "oracle"),
        ({"sys_vendor": "Oracle Corporation", "product_name": "VirtualBox"}, "oracle"),
        ({"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"}, "microsoft"),
        ({"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)"}, "qemu"),
        ({"sys_vendor": "Red Hat", "product_name": "KVM"}, "kvm"),
        ({"sys_vendor": "Amazon EC2", "product_name": "m5.large"}, "amazon"),
        ({"sys_vendor": "Google", "product_name": "Google Compute Engine"}, "google"),
        ({"sys_vendor": "Xen", "product_name": "HVM domU"}, "xen"),
        ({"bios_vendor": "Parallels Software International Inc."}, "parallels"),
        # Physical machines, including Microsoft's own hardware.
        ({"sys_vendor": "Microsoft Corporation", "product_name": "Surface Pro 9"}, None),
        ({"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R740"}, None),
    ],
)
def test_vm_from_dmi(tmp_path, values, expected):
    dmi(tmp_path, **values)
    assert vm_from_dmi(str(tmp_path)) == expected
    assert detect_vm(str(tmp_path)) == expected


def test_systemd_detect_virt_is_trusted_first(tmp_path):
    dmi(tmp_path, sys_vendor="VMware, Inc.")
    assert detect_vm(str(tmp_path), "oracle\n") == "oracle"
    assert detect_vm(str(tmp_path), "none\n") is None
    # Empty output (the tool failed): fall back to DMI.
    assert detect_vm(str(tmp_path), "") == "vmware"


def test_xen_pv_has_no_dmi_but_sys_hypervisor(tmp_path):
    write(tmp_path, "sys/hypervisor/type", "xen")
    assert detect_vm(str(tmp_path)) == "xen"


def test_cpu_hypervisor_flag_without_dmi_is_a_generic_vm(tmp_path):
    """Firecracker and similar microVMs expose no DMI at all."""
    write(tmp_path, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme de pse hypervisor lahf_lm\n")
    assert detect_vm(str(tmp_path)) == "vm"


def test_bare_metal(tmp_path):
    write(tmp_path, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme de pse lahf_lm\nmodel name\t: hypervisor-free\n")
    assert detect_vm(str(tmp_path)) is None
    assert detect_vm(str(tmp_path / "nothing-here")) is None


@pytest.mark.parametrize(
    "vm, fragments",
    [
        ("vmware", ["Promiscuous mode", "Forged transmits"]),
        ("oracle", ["VirtualBox", '"Allow All"']),
        ("microsoft", ["Hyper-V", "MAC address spoofing"]),
        ("kvm", ["KVM", "MAC"]),
        ("amazon", ["will not reach"]),
        ("vm", ["promiscuous mode", "forged transmits", "MAC address spoofing"]),
        ("acrn", ["acrn:", "MAC address spoofing"]),
    ],
)
def test_vm_warning_says_what_the_virtual_switch_must_allow(vm, fragments):
    text = vm_warning(vm, "eth0")
    assert "virtual machine" in text and "eth0" in text
    for fragment in fragments:
        assert fragment in text


def test_no_vm_no_warning():
    assert vm_warning(None, "eth0") is None


def netdev(root, name: str, ifindex: int, mac: str, *extra: str) -> None:
    write(root, f"sys/class/net/{name}/ifindex", str(ifindex))
    write(root, f"sys/class/net/{name}/address", mac)
    for entry in extra:
        (root / f"sys/class/net/{name}/{entry}").mkdir(parents=True)


def bus_device(root, bus: str, device: str, driver: str, wifi: bool = False) -> None:
    path = root / "sys/bus" / bus / "devices" / device
    path.mkdir(parents=True)
    drivers = root / "sys/bus" / bus / "drivers" / driver
    drivers.mkdir(parents=True)
    os.symlink(os.path.relpath(drivers, path), path / "driver")
    if wifi:
        (path / "ieee80211").mkdir()


MAC = "52:54:00:12:34:56"


@pytest.mark.parametrize("entry", ["wireless", "phy80211"])
def test_wireless_from_the_links_own_sysfs_entry(tmp_path, entry):
    netdev(tmp_path, "wlan0", 3, MAC, entry)
    assert nic_facts(str(tmp_path), "wlan0", 3, MAC)["wireless"] is True


def test_sysfs_entry_of_another_namespace_is_not_trusted(tmp_path):
    """/sys shows the namespace that mounted it: a same-named link elsewhere says nothing."""
    netdev(tmp_path, "eth0", 2, MAC, "wireless")
    assert nic_facts(str(tmp_path), "eth0", 7, MAC) == {"driver": None, "wireless": None}
    assert nic_facts(str(tmp_path), "eth0", 2, "02:00:00:00:00:01") == {"driver": None, "wireless": None}
    assert nic_facts(str(tmp_path), "eth0", 7, MAC, kind="veth") == {"driver": "veth", "wireless": False}


def test_bus_device_works_in_any_namespace(tmp_path):
    bus_device(tmp_path, "pci", "0000:03:00.0", "iwlwifi", wifi=True)
    bus_device(tmp_path, "virtio", "virtio2", "virtio_net")
    assert nic_facts(str(tmp_path), "wlp3s0", 9, MAC, bus="pci", device="0000:03:00.0") == {"driver": "iwlwifi", "wireless": True}
    assert nic_facts(str(tmp_path), "eth0", 9, MAC, bus="virtio", device="virtio2") == {"driver": "virtio_net", "wireless": False}


def test_driver_through_the_trusted_sysfs_device_link(tmp_path):
    """Kernels before 5.16 do not send the bus and device over netlink."""
    bus_device(tmp_path, "pci", "0000:00:19.0", "e1000e")
    netdev(tmp_path, "eno1", 2, MAC)
    os.symlink(os.path.relpath(tmp_path / "sys/bus/pci/devices/0000:00:19.0", tmp_path / "sys/class/net/eno1"), tmp_path / "sys/class/net/eno1/device")
    assert nic_facts(str(tmp_path), "eno1", 2, MAC) == {"driver": "e1000e", "wireless": False}


@pytest.mark.parametrize("bus, device", [("..", "x"), ("pci", "../../etc"), ("pci", "."), (None, "virtio0")])
def test_bus_and_device_names_cannot_escape_sysfs(tmp_path, bus, device):
    assert nic_facts(str(tmp_path), "eth0", 2, MAC, bus=bus, device=device) == {"driver": None, "wireless": None}


def test_wireless_warning_names_interface_and_namespace():
    text = wireless_warning("wlan0", "namespace 'edge'")
    assert "wlan0" in text and "namespace 'edge'" in text and "Wi-Fi" in text
