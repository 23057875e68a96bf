# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Keep the version in sync with PYROUTE2_MIN_VERSION in module_utils/_common/constants.py.
    DOCUMENTATION = r"""
options: {}
requirements:
  - pyroute2 >= 0.9.1 (tested with 0.9.7) on the managed host.
  - Linux with the C(macvlan) (and for C(kind=macvtap), C(macvtap)) kernel modules.
  - root or C(CAP_NET_ADMIN) on the managed host.
"""
