# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one exception type the collection raises for user-facing failures."""

from __future__ import annotations


class MacvlanError(Exception):
    """A failure the user can act on.

    The message is complete: it names the input, the object and the namespace, so
    modules pass it to fail_json unchanged and never add a traceback.
    """
