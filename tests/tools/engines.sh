#!/usr/bin/env bash
# Docker and Podman for the tests and the demo, from Debian's packages, unpacked (never installed):
# installing docker.io would start dockerd in the root namespace wherever systemd runs. The tree
# (~300 MB) is cached under build/engines; the tests start the engines only inside lab namespaces.
#   tests/tools/engines.sh [DIR]   -> prints DIR (default build/engines) once DIR/root is complete
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$top/build/engines}
# podman links libsubid and libgpgme, which a minimal Debian 12 lacks: unpacked next to it. netavark
# (podman's network setup) runs iptables even for macvlan networks: in the lab namespace only.
pkgs=(docker.io containerd runc podman conmon netavark aardvark-dns golang-github-containers-common
      busybox-static libsubid4 libgpgme11 libassuan0 libgpg-error0
      iptables libxtables12 libip4tc2 libip6tc2 libnftnl11 libnetfilter-conntrack3 libnfnetlink0 libmnl0)
stamp="$dir/root/.unpacked"
want="${pkgs[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$dir"
  exit 0
fi
rm -rf "$dir/root" "$dir/debs"
mkdir -p "$dir/debs" "$dir/root"
# apt-get download writes into the working directory; _apt cannot write there, so it warns and
# downloads as root, which is fine for files that are only unpacked.
if ! (cd "$dir/debs" && apt-get download "${pkgs[@]}" >/dev/null 2>"$dir/debs/apt.log"); then
  apt-get update -qq
  (cd "$dir/debs" && apt-get download "${pkgs[@]}" >/dev/null 2>"$dir/debs/apt.log") || {
    cat "$dir/debs/apt.log" >&2
    echo "engines: apt-get download failed for: ${pkgs[*]}" >&2
    exit 1
  }
fi
for deb in "$dir"/debs/*.deb; do
  dpkg -x "$deb" "$dir/root"
done
rm -rf "$dir/debs"
# What update-alternatives would have linked.
ln -sfn iptables-nft "$dir/root/usr/sbin/iptables"
ln -sfn ip6tables-nft "$dir/root/usr/sbin/ip6tables"
echo "$want" >"$stamp"
echo "$dir"
