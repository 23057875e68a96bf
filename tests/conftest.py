"""Make `ansible_collections.linuxnet.macvlan` importable from the working tree.

build/pyroot/ansible_collections/linuxnet/macvlan is a symlink to the checkout, so
tests always exercise the code as edited (ansible-test uses a real staged copy)."""

from __future__ import annotations

import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
IMPORT_ROOT = TOP / "build" / "pyroot"
_link = IMPORT_ROOT / "ansible_collections" / "linuxnet" / "macvlan"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(TOP)
if str(IMPORT_ROOT) not in sys.path:
    sys.path.insert(0, str(IMPORT_ROOT))
