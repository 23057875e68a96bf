#!/usr/bin/env bash
# Galaxy's own importer (galaxy-importer, pinned in requirements-dev.txt) on the tarball that
# `make build` wrote, offline: what Galaxy runs when the collection is uploaded. Fails on a
# failed import, on any WARNING/ERROR line (Galaxy shows ansible-lint findings as warnings),
# and when the import result lacks a module file or a role of the collection.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
py="$top/.venv/bin/python"
read -r namespace name version < <("$py" -c '
import sys, yaml
g = yaml.safe_load(open(sys.argv[1]))
print(g["namespace"], g["name"], g["version"])' "$top/galaxy.yml")
tarball="$top/build/$namespace-$name-$version.tar.gz"
if [ ! -f "$tarball" ]; then
  echo "galaxy-import: $tarball is missing (run make build)" >&2
  exit 2
fi
work="$top/build/galaxy-importer"
rm -rf "$work"
mkdir -p "$work/tmp"
# The importer calls ansible-doc and ansible-lint by name: the pinned toolchain.
export PATH="$top/.venv/bin:$PATH"
export GALAXY_IMPORTER_CONFIG="$top/tests/tools/galaxy-importer.cfg"
export GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$work/tmp"
export GALAXY_IMPORTER_TMP_ROOT_DIR="$work/tmp"
cd "$work"   # it writes importer_result.json into the working directory
rc=0
"$py" -m galaxy_importer.main "$tarball" >output.txt 2>&1 || rc=$?
grep -v '^Loading ' output.txt || true
problems=$(grep -cE '^(WARNING|ERROR|CRITICAL):' output.txt || true)
if [ "$rc" -ne 0 ] || [ "$problems" -ne 0 ] || ! grep -qx 'Importer processing completed successfully' output.txt; then
  echo "galaxy-import: FAILED (exit $rc, $problems warning/error lines; full log: $work/output.txt)" >&2
  exit 1
fi
# Everything the collection ships must have been found by the importer.
"$py" - "$top" importer_result.json <<'PY'
import json, sys
from pathlib import Path
top, result = Path(sys.argv[1]), json.load(open(sys.argv[2]))
found = {(c["content_type"], c["name"]) for c in result["contents"]}
expected = {("module", p.stem) for p in (top / "plugins/modules").glob("*.py")}
expected |= {("role", p.name) for p in (top / "roles").iterdir() if p.is_dir()}
missing = sorted(expected - found)
if missing:
    sys.exit(f"galaxy-import: FAILED, the importer did not find {missing}")
counts = {}
for kind, _ in found:
    counts[kind] = counts.get(kind, 0) + 1
print("galaxy-import: passed; contents " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
PY
