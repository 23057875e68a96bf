"""Run a collection module the way Ansible does on a managed host: a Python process
reading its arguments from a JSON file and printing one JSON result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
IMPORT_ROOT = TOP / "build" / "pyroot"


# Runs a module after `fault` (Python source) has patched the process: the kernel stays real,
# only what the module reads back from it is altered (e.g. to play an older kernel).
FAULT_RUNNER = """
import runpy, sys
sys.argv.pop(0)  # '-c'
exec(sys.argv.pop(0))
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


class ModuleRunner:
    def __init__(self, env: dict | None = None):
        # The environment modules run with (e.g. a container engine's DOCKER_HOST and PATH).
        self.env = env

    def run(self, module: str, args: dict, check: bool = False, diff: bool = False, fault: str | None = None) -> dict:
        payload = {"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check, _ansible_diff=diff)}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(payload, handle)
        name = f"ansible_collections.linuxnet.macvlan.plugins.modules.{module}"
        command = [sys.executable, "-m", name, handle.name]
        if fault is not None:
            command = [sys.executable, "-c", FAULT_RUNNER, fault, name, handle.name]
        try:
            env = dict(self.env or os.environ, PYTHONPATH=str(IMPORT_ROOT))
            proc = subprocess.run(
                command,
                capture_output=True, text=True, env=env, timeout=120, check=False,
            )
        finally:
            os.unlink(handle.name)
        try:
            result = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"{module} printed no JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        result["_rc"] = proc.returncode
        result["_stderr"] = proc.stderr
        return result

    def ok(self, module: str, args: dict, **kw) -> dict:
        result = self.run(module, args, **kw)
        assert not result.get("failed"), f"{module} failed: {result.get('msg')}\n{result.get('exception', '')}"
        return result

    def fails(self, module: str, args: dict, **kw) -> dict:
        result = self.run(module, args, **kw)
        assert result.get("failed"), f"{module} should have failed but returned {result}"
        assert "Traceback" not in result.get("msg", ""), result["msg"]
        return result

    def four_steps(self, module: str, args: dict, lab, namespaces: list[str], expect_change: bool = True) -> dict:
        """check → apply → apply again (changed=false) → check again (changed=false).

        Check-mode runs must leave every listed namespace's netlink snapshot identical.
        Returns the result of the first real apply."""
        before = {ns: lab.snapshot(ns) for ns in namespaces}
        predicted = self.ok(module, args, check=True, diff=True)
        assert predicted["changed"] is expect_change, f"check mode predicted changed={predicted['changed']}"
        for ns in namespaces:
            _same(before[ns], lab.snapshot(ns), f"check mode changed the kernel state of {ns}")
        applied = self.ok(module, args, diff=True)
        assert applied["changed"] is expect_change, f"apply reported changed={applied['changed']}"
        again = self.ok(module, args, diff=True)
        assert again["changed"] is False, f"second apply is not idempotent: diff {again.get('diff')}"
        settled = {ns: lab.snapshot(ns) for ns in namespaces}
        check_again = self.ok(module, args, check=True)
        assert check_again["changed"] is False, "check mode after apply still predicts a change"
        for ns in namespaces:
            _same(settled[ns], lab.snapshot(ns), f"check mode changed the kernel state of {ns}")
        return applied


def _same(before: str, after: str, message: str) -> None:
    """Two netlink snapshots must match; if not, show where they differ."""
    if before == after:
        return
    import difflib

    def lines(snapshot: str) -> list[str]:
        return json.dumps(json.loads(snapshot), indent=1, sort_keys=True).splitlines()

    diff = "\n".join(list(difflib.unified_diff(lines(before), lines(after), "before", "after", lineterm=""))[:60])
    raise AssertionError(f"{message}:\n{diff}")
