#!/usr/bin/env bash
# Run every Molecule scenario on the staged copy; any failing scenario fails this script.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
root="${STAGE_ROOT:-$top/build/collections}"
coll="$root/ansible_collections/linuxnet/macvlan"
if [ ! -f "$coll/extensions/molecule/config.yml" ]; then
  echo "molecule: no scenarios yet"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "molecule: the namespace lab needs root (ip netns, the netns connection)" >&2
  exit 2
fi
# Molecule calls ansible-playbook, ansible-config, ... by name: use the pinned toolchain.
export PATH="$top/.venv/bin:$PATH"
# The docker_shim scenario runs a confined dockerd from Debian's packages, unpacked (cached in build/engines).
LMVM_ENGINES="$("$top/tests/tools/engines.sh")/root"
export LMVM_ENGINES
# Test exactly the staged copy (prerun: false in config.yml: nothing is installed).
export ANSIBLE_COLLECTIONS_PATH="$root"
# A fresh state directory per run: a crashed earlier run must not make Molecule believe
# the lab already exists ("instances already created") and skip create.
MOLECULE_EPHEMERAL_DIRECTORY=$(mktemp -d /tmp/lmvm-molecule.XXXXXX)
export MOLECULE_EPHEMERAL_DIRECTORY
trap 'rm -rf "$MOLECULE_EPHEMERAL_DIRECTORY"' EXIT
# The lab's namespace names (lmvm-*) are fixed: two runs on one machine wait for each
# other instead of sweeping each other's lab.
exec 9>/tmp/lmvm-molecule.lock
if ! flock -w 3600 9; then
  echo "molecule: another Molecule run has held /tmp/lmvm-molecule.lock for an hour" >&2
  exit 1
fi
# Collection mode (galaxy.yml in the working directory): scenarios come from
# extensions/molecule/ and share extensions/molecule/config.yml. Arguments replace --all,
# e.g. `tests/tools/molecule.sh -s smoke` (the default scenario still builds the lab).
cd "$coll"
if [ $# -eq 0 ]; then
  set -- --all
fi
molecule test "$@"
