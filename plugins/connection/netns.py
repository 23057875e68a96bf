# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: netns
short_description: Run tasks inside a named network namespace on the controller
description:
  - Runs every command of a host inside a named Linux network namespace on the Ansible controller,
    the way C(ip netns exec NAME) does, so a namespace can be managed like a separate machine.
  - The command runs in a fresh mount namespace in which C(/sys) is remounted for the network
    namespace (so C(/sys/class/net) and interface facts describe that namespace), and every file
    or directory C(/etc/netns/NAME/X) is bind-mounted over C(/etc/X).
  - Files are transferred exactly as the P(ansible.builtin.local#connection) connection does.
    All namespace hosts share the controller's filesystem, hostname and users; only the network
    stack (links, addresses, routes, neighbours, firewall) is separate.
  - Typical uses are test labs (Molecule scenarios without containers) and hosts that keep
    services in network namespaces.
author:
  - linuxnet.macvlan maintainers (@linuxnet)
version_added: 0.1.0
options:
  netns_name:
    description:
      - The network namespace to run in, a name as listed by C(ip netns list) (a file under
        C(/run/netns)).
      - Taken from the first of these variables that is set, highest precedence first
        C(ansible_netns_name), C(ansible_host), C(inventory_hostname).
      - The namespace must already exist; it is never created.
    type: str
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_netns_name
  ip_executable:
    description:
      - The iproute2 C(ip) command used to enter the namespace.
      - A bare name is searched in E(PATH) and the usual C(sbin) directories.
    type: str
    default: ip
    vars:
      - name: ansible_netns_ip_executable
  become_success_timeout:
    description:
      - Number of seconds to wait for become to succeed when enabled.
      - The default will be used if the configured value is less than 1.
    type: int
    default: 10
    vars:
      - name: ansible_netns_become_success_timeout
  become_strip_preamble:
    description:
      - Strip internal become output preceding command execution. Disable for additional diagnostics.
    type: bool
    default: true
    vars:
      - name: ansible_netns_become_strip_preamble
extends_documentation_fragment:
  - ansible.builtin.connection_pipelining
notes:
  - Entering a network namespace needs C(CAP_SYS_ADMIN), so Ansible must run as root on the
    controller. The remote user is ignored, as with P(ansible.builtin.local#connection).
  - A missing namespace, a non-root controller or a namespace name containing C(/) makes the host
    unreachable with a message saying what to fix; nothing is created.
  - Because the filesystem is shared, interpreter discovery finds the controller's Python.
    Set C(ansible_python_interpreter={{ ansible_playbook_python }}) to run modules with the
    Python (and libraries such as pyroute2) that runs Ansible.
  - Anything a task writes to disk is visible to every namespace host and to the controller. Give
    each namespace host its own directory for files that must not collide (see the collection's
    Molecule lab), or put per-namespace files under C(/etc/netns/NAME/), which C(ip netns exec)
    shows at C(/etc).
  - Modules that operate on C(/etc/X) act on the bind-mounted C(/etc/netns/NAME/X) when it exists,
    but files transferred by the connection itself (module payloads, M(ansible.builtin.copy)
    sources) are written in the controller's view, normally into the remote temporary directory.
seealso:
  - name: ip-netns(8)
    description: Process network namespace management, including C(ip netns exec).
    link: https://man7.org/linux/man-pages/man8/ip-netns.8.html
"""

EXAMPLES = r"""
---
# Inventory (YAML): two namespaces as hosts. The namespace name defaults to the
# inventory hostname; ansible_netns_name overrides it.
#
# all:
#   vars:
#     ansible_connection: linuxnet.macvlan.netns
#     ansible_python_interpreter: "{{ ansible_playbook_python }}"
#   hosts:
#     blue:
#     web:
#       ansible_netns_name: ns-web

- name: Show the links each namespace host sees
  hosts: all
  gather_facts: false
  tasks:
    - name: List the links inside the namespace
      ansible.builtin.command: ip -j link show
      register: links
      changed_when: false

    - name: Print their names
      ansible.builtin.debug:
        msg: "{{ links.stdout | from_json | map(attribute='ifname') | list }}"

# Ad hoc, for one namespace that is not in any inventory:
#   ansible all -i blue, -c linuxnet.macvlan.netns -m ansible.builtin.setup -a 'filter=ansible_interfaces'
"""

import os
import shlex
import shutil

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.connection.local import Connection as LocalConnection
from ansible.utils.display import Display

from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.constants import NETNS_RUN_DIR
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.errors import MacvlanError
from ansible_collections.linuxnet.macvlan.plugins.module_utils._common.netns import is_named, validate_netns

display = Display()
# root's PATH has these; a non-login or sudo environment may not.
SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


class Connection(LocalConnection):
    """The local connection, with every command wrapped in ``ip netns exec NAME``."""

    transport = "linuxnet.macvlan.netns"
    has_pipelining = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._netns: str | None = None
        self._ip: str | None = None

    def _connect(self) -> Connection:
        if not self._connected:
            self._netns = self._namespace_name()
            self._check_root()
            self._ip = self._find_ip()
            self._check_namespace()
            display.vvv(f"ESTABLISH NETNS CONNECTION TO {self._netns}", host=self._netns)
        super()._connect()
        return self

    def _namespace_name(self) -> str:
        name = self.get_option("netns_name") or self._play_context.remote_addr
        name = to_text(name or "")
        if not name:
            raise AnsibleConnectionFailure(
                "netns connection: no network namespace name; set ansible_netns_name for this host"
            )
        try:
            # The modules' own validator; 'ip netns exec' takes names only, not namespace paths.
            valid = is_named(validate_netns(name, option="ansible_netns_name"))
        except MacvlanError:
            valid = False
        if not valid:
            raise AnsibleConnectionFailure(
                f"netns connection: {name!r} is not a network namespace name "
                f"(a name as listed by 'ip netns list': no '/', no whitespace, not '.' or '..'); "
                "set ansible_netns_name for this host"
            )
        return name

    def _check_root(self) -> None:
        euid = os.geteuid()
        if euid != 0:
            raise AnsibleConnectionFailure(
                f"netns connection to namespace {self._netns!r}: Ansible must run as root on the "
                f"controller to enter a network namespace (ip netns exec needs CAP_SYS_ADMIN), "
                f"but it runs as uid {euid}"
            )

    def _find_ip(self) -> str:
        wanted = self.get_option("ip_executable")
        if os.path.isabs(wanted):
            found = wanted if os.access(wanted, os.X_OK) else None
        else:
            search = os.pathsep.join([os.environ.get("PATH", os.defpath), *SBIN_DIRS])
            found = shutil.which(wanted, path=search)
        if not found:
            raise AnsibleConnectionFailure(
                f"netns connection to namespace {self._netns!r}: the iproute2 command {wanted!r} "
                "was not found; install iproute2 or set ansible_netns_ip_executable"
            )
        return found

    def _check_namespace(self) -> None:
        # Checked before every command: a lab may delete a namespace between tasks, and
        # 'ip netns exec' alone would only answer with a bare module failure.
        path = os.path.join(NETNS_RUN_DIR, self._netns)
        if not os.path.exists(path):
            raise AnsibleConnectionFailure(
                f"netns connection: network namespace {self._netns!r} does not exist "
                f"(no {path}); create it with 'ip netns add {self._netns}' or point "
                "ansible_netns_name at an existing one ('ip netns list')"
            )

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        """Run ``cmd`` with the shell Ansible chose, inside the namespace."""
        if not self._connected:
            self._connect()
        self._check_namespace()
        shell = self._play_context.executable or "/bin/sh"
        wrapped = " ".join(
            shlex.quote(part) for part in (self._ip, "netns", "exec", self._netns, shell, "-c", to_text(cmd))
        )
        return super().exec_command(wrapped, in_data=in_data, sudoable=sudoable)

    def close(self) -> None:
        super().close()
        self._netns = None
