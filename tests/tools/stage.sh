#!/usr/bin/env bash
# Stage a real copy (not a symlink: ansible-test rejects those) of the collection at
# build/collections/ansible_collections/linuxnet/macvlan. Tracked files plus untracked
# files git does not ignore, so a developer's uncommitted work is tested too.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# STAGE_ROOT lets parallel runs stage into their own place.
dest="${STAGE_ROOT:-$top/build/collections}/ansible_collections/linuxnet/macvlan"
rm -rf "$dest"
mkdir -p "$dest"
cd "$top"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue   # deleted in the work tree but still in the index
  mkdir -p "$dest/$(dirname "$f")"
  cp -p "$f" "$dest/$f"
done
# The copy sits inside this (git-ignored) checkout; ansible-test lists its files through
# git, so give the copy a repository of its own, or every sanity target is skipped.
git -C "$dest" init -q
git -C "$dest" add -A
echo "$dest"
