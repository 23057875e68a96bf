"""Collection metadata that Ansible reads (the action group) and the README's tested example."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[3]


def _modules() -> set[str]:
    return {p.stem for p in (TOP / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}


def test_action_group_lists_every_module():
    """module_defaults for `group/linuxnet.macvlan.<group>` must reach every module."""
    groups = yaml.safe_load((TOP / "meta" / "runtime.yml").read_text())["action_groups"]
    assert groups, "meta/runtime.yml has no action group"
    for name, members in groups.items():
        missing = sorted(_modules() - set(members))
        assert not missing, f"modules missing from action group {name!r} in meta/runtime.yml: {missing}"
        unknown = sorted(set(members) - _modules())
        assert not unknown, f"action group {name!r} names modules that do not exist: {unknown}"


def _fenced_after(text: str, heading: str) -> list[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```[a-z]+\n(.*?)^```", section, re.S | re.M)


def test_readme_testing_example_is_the_file_make_test_runs():
    blocks = _fenced_after((TOP / "README.md").read_text(), "## Testing your own playbooks\n")
    example = TOP / "tests" / "pytest_ansible" / "example"
    assert blocks[:2] == [(example / "playbook.yml").read_text(), (example / "test_playbook.py").read_text()], (
        "README 'Testing your own playbooks' differs from tests/pytest_ansible/example/: copy the files into it verbatim"
    )
