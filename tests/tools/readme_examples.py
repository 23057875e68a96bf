"""Extract the README's YAML examples into playbooks so ansible-lint checks them.

A block that is a play list (has `hosts:`) is written as is; a task list is wrapped into a
play; other YAML (inventories, vars files) is skipped. ansible-lint's `args` rule then validates every module's options against its real
argument spec, so the README cannot drift from the code unnoticed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```ya?ml\n(.*?)^```", re.S | re.M)


def main(readme: Path, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("readme_example_*.yml"):
        old.unlink()
    count = 0
    for block in FENCE.findall(readme.read_text()):
        first = next((line for line in block.splitlines() if line.strip() and not line.startswith(("#", "---"))), "")
        if not first.startswith("- "):
            continue  # an inventory or vars file, not tasks or plays
        count += 1
        body = block if block.startswith("---") else "---\n" + block
        if not re.search(r"^\s*hosts:", block, re.M):
            tasks = "\n".join("    " + line if line.strip() else line for line in block.strip("\n").removeprefix("---\n").splitlines())
            body = f"---\n- name: README example {count}\n  hosts: all\n  gather_facts: false\n  tasks:\n{tasks}\n"
        (out_dir / f"readme_example_{count:02d}.yml").write_text(body)
    print(f"{count} README examples written to {out_dir}")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
