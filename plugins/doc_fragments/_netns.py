# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  netns:
    description:
      - The network namespace the object lives in.
      - Either a name under C(/run/netns) (as listed by C(ip netns list)) or an absolute path to a
        namespace file such as C(/proc/PID/ns/net) or C(/run/docker/netns/ID).
      - Omitted means the namespace Ansible runs in.
      - A missing namespace is an error; namespaces are never created implicitly.
    type: str
"""
