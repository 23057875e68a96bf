#!/usr/bin/env bash
# System packages the tests and the demo need (Debian/Ubuntu, as root).
set -euo pipefail
# dnsmasq-base (no service) and busybox (udhcpc) serve the demo's and tests' DHCP inside lab namespaces.
pkgs=(iproute2 iputils-ping python3-venv git procps util-linux dnsmasq-base busybox isc-dhcp-client ifupdown)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
