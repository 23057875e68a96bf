"""Collection metadata that Ansible and Galaxy read (the action group, galaxy.yml) and the README's
tested example."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

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


def test_galaxy_metadata_is_filled_without_placeholders():
    galaxy = yaml.safe_load((TOP / "galaxy.yml").read_text())
    assert galaxy.get("tags"), "galaxy.yml has no tags"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", tag) for tag in galaxy["tags"]), galaxy["tags"]
    for field in ("repository", "documentation", "issues", "homepage"):
        if field not in galaxy and field in ("issues", "homepage"):
            continue  # optional for Galaxy; unset rather than invented (see galaxy.yml)
        url = urlparse(galaxy.get(field) or "")
        assert url.scheme == "https" and url.hostname, f"galaxy.yml {field}: {galaxy.get(field)!r}"
        host = url.hostname
        placeholder = host == "localhost" or host.endswith((".invalid", ".example", ".test", ".localhost"))
        placeholder = placeholder or re.search(r"(^|\.)example\.(com|org|net)$", host) is not None
        assert not placeholder, f"galaxy.yml {field} is a placeholder: {url.geturl()}"


def test_role_readme_names_every_role_variable():
    specs = yaml.safe_load((TOP / "roles" / "host_shim" / "meta" / "argument_specs.yml").read_text())
    readme = (TOP / "roles" / "host_shim" / "README.md").read_text()
    missing = sorted(name for name in specs["argument_specs"]["main"]["options"] if f"`{name}`" not in readme)
    assert not missing, f"roles/host_shim/README.md does not name: {missing}"


def _fenced_after(text: str, heading: str) -> list[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```[a-z]+\n(.*?)^```", section, re.S | re.M)


def test_readme_testing_example_is_the_file_make_test_runs():
    blocks = _fenced_after((TOP / "README.md").read_text(), "## Testing your own playbooks\n")
    example = TOP / "tests" / "pytest_ansible" / "example"
    assert blocks[:2] == [(example / "playbook.yml").read_text(), (example / "test_playbook.py").read_text()], (
        "README 'Testing your own playbooks' differs from tests/pytest_ansible/example/: copy the files into it verbatim"
    )
