# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Facts about the machine and its NICs that decide whether macvlan can work at all:
is the parent wireless, which driver runs it, is the machine a VM (and what must its
virtual switch allow). Read from sysfs, DMI and /proc under a root path, so tests can
hand in a fake tree; no pyroute2, no commands."""

from __future__ import annotations

import os

# Prefixes of DMI strings, in the order systemd-detect-virt checks them; values are
# systemd-detect-virt --vm identifiers so both sources speak the same names.
_DMI_VENDORS = (
    ("KVM", "kvm"),
    ("OpenStack", "kvm"),
    ("KubeVirt", "kvm"),
    ("Amazon EC2", "amazon"),
    ("QEMU", "qemu"),
    ("VMware", "vmware"),
    ("VMW", "vmware"),
    ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"),
    ("Oracle Corporation", "oracle"),
    ("Xen", "xen"),
    ("Bochs", "bochs"),
    ("Parallels", "parallels"),
    ("BHYVE", "bhyve"),
    ("Hyper-V", "microsoft"),
    ("Apple Virtualization", "apple"),
    ("Google Compute Engine", "google"),
    ("Google", "google"),
)
_DMI_FILES = ("product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version")

_KVM_ADVICE = (
    "the host's bridge or Open vSwitch port must accept frames to and from MAC addresses other than "
    "the VM's own (no MAC anti-spoofing such as libvirt's clean-traffic filter or OpenStack port security)"
)
_CLOUD_ADVICE = (
    "cloud networks deliver only to MAC addresses they assigned, so macvlan traffic will not reach "
    "other machines; use the provider's secondary addresses or ipvlan instead"
)
# What the virtual switch in front of the VM must allow for frames from extra MACs to pass.
VM_SWITCH_ADVICE = {
    "vmware": "VMware: the port group (standard or distributed vSwitch) must allow Promiscuous mode and Forged transmits",
    "oracle": 'VirtualBox: the bridged adapter\'s Promiscuous Mode must be "Allow All"',
    "microsoft": "Hyper-V: the VM's network adapter must have MAC address spoofing enabled "
    "(Set-VMNetworkAdapter -MacAddressSpoofing On); on Azure macvlan traffic is not forwarded at all",
    "kvm": f"KVM: {_KVM_ADVICE}",
    "qemu": f"QEMU: {_KVM_ADVICE}",
    "bochs": f"Bochs/QEMU: {_KVM_ADVICE}",
    "xen": "Xen: the bridge behind the VM's vif must accept frames from other MAC addresses (no anti-spoofing rules)",
    "parallels": "Parallels: the bridged network adapter must allow promiscuous mode",
    "amazon": f"Amazon EC2: {_CLOUD_ADVICE}",
    "google": f"Google Compute Engine: {_CLOUD_ADVICE}",
}
_GENERIC_ADVICE = (
    "its virtual switch must accept frames for and from MAC addresses other than the VM's own "
    "(called promiscuous mode, forged transmits or MAC address spoofing, depending on the hypervisor)"
)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _sys(root: str, *parts: str) -> str:
    return os.path.join(root, "sys", *parts)


# ---- virtualisation ------------------------------------------------------------------------


def vm_from_dmi(root: str = "/") -> str | None:
    """The hypervisor named by DMI (systemd-detect-virt identifiers), or None."""
    values = {name: _read(_sys(root, "class", "dmi", "id", name)) or "" for name in _DMI_FILES}
    if values["sys_vendor"].startswith("Microsoft Corporation") and values["product_name"].startswith("Virtual Machine"):
        return "microsoft"
    for name in _DMI_FILES:
        for prefix, vm in _DMI_VENDORS:
            if values[name].startswith(prefix):
                return vm
    return None


def detect_vm(root: str = "/", detect_virt_output: str | None = None) -> str | None:
    """The hypervisor this machine runs under, or None on bare metal.

    `detect_virt_output` is what `systemd-detect-virt --vm` printed (None when it is not
    installed); it is trusted first. Without it: DMI, then /sys/hypervisor/type (Xen PV),
    then the CPU's "hypervisor" flag, which gives the generic answer "vm"."""
    if detect_virt_output is not None:
        answer = detect_virt_output.strip()
        if answer and answer != "none":
            return answer
        if answer == "none":
            return None
    vm = vm_from_dmi(root)
    if vm:
        return vm
    hypervisor = _read(_sys(root, "hypervisor", "type"))
    if hypervisor:
        return hypervisor
    cpuinfo = _read(os.path.join(root, "proc", "cpuinfo")) or ""
    for line in cpuinfo.splitlines():
        if line.startswith("flags") and "hypervisor" in line.split(":", 1)[-1].split():
            return "vm"
    return None


def vm_warning(vm: str | None, interface: str) -> str | None:
    """The warning for a VM: macvlan frames carry MACs the hypervisor did not assign."""
    if vm is None:
        return None
    advice = VM_SWITCH_ADVICE.get(vm, f"{vm}: {_GENERIC_ADVICE}" if vm != "vm" else f"this VM: {_GENERIC_ADVICE}")
    return (
        f"this machine is a virtual machine ({vm}); for macvlans on {interface} to reach the network, "
        f"its virtual switch must let their MAC addresses through. {advice}."
    )


# ---- NIC facts -----------------------------------------------------------------------------


def sysfs_netdev_dir(root: str, name: str, ifindex: int, mac_address: str | None) -> str | None:
    """/sys/class/net/<name>, but only if it describes this very link.

    /sys/class/net shows the namespace of whoever mounted /sys, not necessarily the one
    the link lives in: trust the entry only when ifindex and MAC match too."""
    path = _sys(root, "class", "net", name)
    if _read(os.path.join(path, "ifindex")) != str(ifindex):
        return None
    if mac_address is not None and (_read(os.path.join(path, "address")) or "").lower() != mac_address.lower():
        return None
    return path


def _bus_device_dir(root: str, bus: str | None, device: str | None) -> str | None:
    if not bus or not device or "/" in bus or "/" in device or bus in (".", "..") or device in (".", ".."):
        return None
    path = _sys(root, "bus", bus, "devices", device)
    return path if os.path.isdir(path) else None


def nic_facts(
    root: str,
    name: str,
    ifindex: int,
    mac_address: str | None = None,
    kind: str | None = None,
    bus: str | None = None,
    device: str | None = None,
) -> dict:
    """{"driver", "wireless"} of one link; None where it cannot be told.

    driver: the kernel driver bound to the hardware (virtio_net, ixgbe, iwlwifi) or, for
    a virtual link, its kind (veth, bridge, bond). wireless: True for a Wi-Fi interface,
    over which macvlan generally does not work (the access point accepts one MAC per station).
    `bus`/`device` come from netlink and work for links in any namespace; the
    /sys/class/net entry is used only when it is this very link (see sysfs_netdev_dir)."""
    netdev = sysfs_netdev_dir(root, name, ifindex, mac_address)
    hardware = _bus_device_dir(root, bus, device)
    if hardware is None and netdev is not None and os.path.isdir(os.path.join(netdev, "device")):
        hardware = os.path.realpath(os.path.join(netdev, "device"))

    driver = None
    if hardware is not None and os.path.islink(os.path.join(hardware, "driver")):
        driver = os.path.basename(os.readlink(os.path.join(hardware, "driver")))
    elif kind:
        driver = kind

    wireless: bool | None = None
    if netdev is not None:
        wireless = any(os.path.exists(os.path.join(netdev, entry)) for entry in ("wireless", "phy80211"))
    if hardware is not None:
        # A Wi-Fi device carries its wiphy (phyN) in an ieee80211 directory, in every namespace.
        wireless = bool(wireless) or os.path.isdir(os.path.join(hardware, "ieee80211"))
    if wireless is None and kind:
        wireless = False  # veth, bridge, bond and friends are never radios themselves
    return {"driver": driver, "wireless": wireless}


def wireless_warning(name: str, where: str) -> str:
    return (
        f"{name} in {where} is a wireless interface: macvlan generally does not work over Wi-Fi, because "
        "the access point only accepts frames from the MAC address that associated with it"
    )
