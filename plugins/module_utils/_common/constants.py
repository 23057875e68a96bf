# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Constants every layer shares: one home, so no two files can disagree (pure)."""

from __future__ import annotations

# Mirrored by the "requirements" doc fragment and requirements.txt.
PYROUTE2_MIN_VERSION = "0.9.1"

MACVLAN_KINDS = ("macvlan", "macvtap")
# The kernel's own default is vepa; see the `mode` option docs for why ours is bridge.
DEFAULT_MODE = "bridge"
# Each macvlan flag only means something in one mode.
FLAG_NEEDS_MODE = {"nopromisc": "passthru", "nodst": "source"}
# What the kernel reports for bc_cutoff when nobody changed it (it omits the attribute then).
BC_CUTOFF_DEFAULT = 1
# Kernel releases that first understood these attributes (named in errors when one is ignored).
ATTRIBUTE_KERNELS = {"bcqueuelen": "5.11", "bc_cutoff": "6.5", "flags nodst": "4.20", "mode source": "4.9"}
# The Ethernet MTU range macvlan accepts at all; the parent's MTU is the upper bound in practice.
ETHERNET_MTU_MIN, ETHERNET_MTU_MAX = 68, 65535

NETNS_RUN_DIR = "/run/netns"

# The container engines whose containers can be targets, and the one option that picks among them.
CONTAINER_ENGINES = ("docker", "podman")
ENGINE_OPTION = {"type": "str", "default": "auto", "choices": ["auto", *CONTAINER_ENGINES]}
CURRENT_NETNS_FILE = "/proc/self/ns/net"

# Where a macvtap's device node is created when /dev/tap<ifindex> is missing or another device.
DEFAULT_TAP_DIR = "/dev/macvtap"
