#!/usr/bin/env bash
# Run every Molecule scenario; any failing scenario fails this script.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
coll="${STAGE_ROOT:-$top/build/collections}/ansible_collections/linuxnet/macvlan"
if [ ! -f "$coll/extensions/molecule/config.yml" ]; then
  echo "molecule: no scenarios yet"
  exit 0
fi
cd "$coll/extensions"
"$top/.venv/bin/molecule" test --all
