#!/usr/bin/env bash
# ansible-test sanity on the staged collection, offline except PyPI.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
coll="${STAGE_ROOT:-$top/build/collections}/ansible_collections/linuxnet/macvlan"
py="$top/.venv/bin/python"
# ansible-test pins the pip it bootstraps; read that pin so a new ansible-core is noticed.
pip_pin=$("$py" - <<'PY'
import re, ansible_test._internal.python_requirements as m
print(re.search(r"pip='([0-9.]+)'", open(m.__file__).read()).group(1))
PY
)
export HOME="${STAGE_ROOT:-$top/build}/sanity-home"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp "$top/tests/tools/get_pip_standin.py" "$cache/get_pip_${pip_pin//./_}.py"
cd "$coll"
"$top/.venv/bin/ansible-test" sanity --venv --python 3.11 --requirements --color no "$@"
