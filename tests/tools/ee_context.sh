#!/usr/bin/env bash
# The execution environment's build context, offline: `ansible-builder create` (building the image
# needs the base image from a registry: not part of the tests). Then check that the context installs
# exactly the tarball `make build` wrote, and that the collection in that tarball declares what
# ansible-builder will add to the image: pyroute2 (requirements.txt) and the ip command (bindep.txt).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/.venv/bin"
cd "$top"
read -r namespace name version < <("$venv/python" -c '
import sys, yaml
g = yaml.safe_load(open(sys.argv[1]))
print(g["namespace"], g["name"], g["version"])' galaxy.yml)
artifact="$namespace-$name-$version.tar.gz"
context=build/ee-context
rm -rf "$context" build/ee-introspect
"$venv/ansible-builder" create -f execution-environment.yml --context "$context" --output-filename Containerfile
fail() { echo "ee: FAILED: $*" >&2; exit 1; }
copied="$context/_build/collections/$artifact"
[ -f "$copied" ] || fail "the context has no $artifact: execution-environment.yml must name version $version"
cmp -s "build/$artifact" "$copied" || fail "$copied is not the tarball make build wrote"
grep -qx -- "- name: collections/$artifact" "$context/_build/requirements.yml" \
  || fail "_build/requirements.yml does not install collections/$artifact"
grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$context/Containerfile" \
  || fail "the Containerfile installs no collections"
# What the builder stage's introspection will find in the installed collection.
"$venv/ansible-galaxy" collection install --offline --force -p build/ee-introspect "build/$artifact" >/dev/null 2>&1
deps=$("$venv/ansible-builder" introspect --sanitize build/ee-introspect)
echo "$deps"
grep -q "pyroute2>=0.9.1,<0.10 *# from collection $namespace.$name" <<<"$deps" || fail "pyroute2 is not declared"
grep -q "iproute2 \[platform:dpkg\] *# from collection $namespace.$name" <<<"$deps" || fail "iproute2 is not declared for dpkg"
grep -q "iproute \[platform:rpm\] *# from collection $namespace.$name" <<<"$deps" || fail "iproute is not declared for rpm"
echo "ee: build context in $context (Containerfile, $artifact, requirements.yml)"
