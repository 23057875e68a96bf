#!/usr/bin/env bash
# Rehearse the first release's changelog on a throwaway copy: `antsibull-changelog release` for the
# version in galaxy.yml, then check what it made. The checkout's fragments stay unreleased (a real
# release consumes them, and changes for this version are still landing); the generated
# CHANGELOG.rst of the rehearsal is kept at build/CHANGELOG-<version>.rst to read.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/.venv/bin"
root="$top/build/changelog-release"
rm -rf "$root"
coll=$(STAGE_ROOT="$root" "$top/tests/tools/stage.sh")
cd "$coll"
version=$("$venv/python" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
fragments=$(find changelogs/fragments -name '*.yml' | wc -l)
# antsibull-changelog lists the plugins that are new in this release with ansible-doc.
PATH="$venv:$PATH" ANSIBLE_COLLECTIONS_PATH="$root" "$venv/antsibull-changelog" release --version "$version"
"$venv/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml
"$venv/python" - "$version" "$fragments" "$top" <<'PY'
import sys
from pathlib import Path
import yaml

version, fragments, top = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
release = yaml.safe_load(open("changelogs/changelog.yaml"))["releases"][version]
problems = []
if len(release.get("fragments", [])) != fragments:
    problems.append(f"{len(release.get('fragments', []))} of {fragments} fragments in the release")
new_modules = {m["name"] for m in release.get("modules", [])}
modules = {p.stem for p in (top / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
if modules - new_modules:
    problems.append(f"modules missing from the release's new modules: {sorted(modules - new_modules)}")
if list(Path("changelogs/fragments").glob("*.yml")):
    problems.append("fragments left behind")
text = Path("CHANGELOG.rst").read_text()
if f"v{version}" not in text:
    problems.append(f"CHANGELOG.rst has no v{version} section")
import re
placeholders = re.findall(r"https?://[^\s)>`]*\b(?:example\.(?:com|org|net)|[a-z0-9.-]*\.invalid)\b[^\s)>`]*", text)
if placeholders:
    problems.append(f"placeholder URLs in the changelog: {sorted(set(placeholders))}")
if problems:
    sys.exit("changelog release rehearsal FAILED: " + "; ".join(problems))
plugins = sum(len(v) for v in release.get("plugins", {}).values())
print(f"changelog: release {version} rehearsed: {fragments} fragments, {len(new_modules)} new modules, "
      f"{plugins} new plugins, {len(release.get('objects', {}).get('role', []))} new roles")
PY
cp CHANGELOG.rst "$top/build/CHANGELOG-$version.rst"
echo "changelog: generated changelog at build/CHANGELOG-$version.rst"
