"""The README's first command, end to end: the demo builds its lab, runs the playbooks
through the netns connection, and every reachability cell it measures must hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lab import list_netns

TOP = Path(__file__).resolve().parents[2]


def test_demo_end_to_end(tmp_path):
    # A prefix of the test lab family: the suite's sweep knows it, and it never collides
    # with a demo lab a person may have left up (lmvd-).
    prefix = f"lmvt{os.getpid()}xdemo-"
    demo = [sys.executable, str(TOP / "playbooks" / "demo" / "demo.py"), "--prefix", prefix, "--workdir", str(tmp_path / "demo")]
    try:
        run = subprocess.run(demo, capture_output=True, text=True, timeout=900, check=False)
        out = run.stdout
        assert run.returncode == 0, f"demo failed:\n{out[-6000:]}\n{run.stderr[-3000:]}"
        assert "Demo passed: every expected cell holds." in out
        matrix = out.split("== Reachability, measured by real pings", 1)[1].split("==", 1)[0]
        rows = [line for line in matrix.splitlines() if "->" in line]
        assert len(rows) == 17
        assert all(row.rstrip().endswith("ok") for row in rows), matrix
        assert sum("before the shim   unreachable  unreachable" in row for row in rows) == 3
        assert "same lease" in out
        # Re-running the playbooks reported nothing changed.
        recaps = [line for line in out.splitlines() if "dockerhost" in line and "ok=" in line]
        assert "changed=0" in recaps[2] and "changed=0" in recaps[3]
    finally:
        subprocess.run([*demo, "--clean"], capture_output=True, text=True, timeout=120, check=False)
    assert not [ns for ns in list_netns() if ns.startswith(prefix)]
