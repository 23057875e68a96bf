#!/usr/bin/env bash
# System packages the tests and the demo need (Debian/Ubuntu, as root).
set -euo pipefail
# dnsmasq-base (no service) and busybox (udhcpc) serve the demo's and tests' DHCP inside lab namespaces.
# dbus (dbus-daemon) and network-manager run only inside lab namespaces, on a private bus.
# isc-dhcp-client (dhclient, no service) is one of the DHCP clients the modules can run.
pkgs=(iproute2 iputils-ping python3-venv git procps util-linux dnsmasq-base busybox isc-dhcp-client ifupdown dbus network-manager)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  # NetworkManager's package would start the daemon in the machine's root namespace: only install
  # where the policy layer forbids starting services (as on CI), or where systemd is not PID 1.
  if [[ " ${missing[*]} " == *" network-manager "* ]]; then
    if [ -d /run/systemd/system ] && ! { [ -x /usr/sbin/policy-rc.d ] && { /usr/sbin/policy-rc.d >/dev/null 2>&1; [ $? -eq 101 ]; }; }; then
      echo "refusing to install network-manager: systemd runs here and /usr/sbin/policy-rc.d does not forbid" \
           "starting services (exit 101), so the package would start NetworkManager on this machine's network." >&2
      echo "Install it yourself (and stop it), or run the tests on a CI machine." >&2
      exit 1
    fi
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      # No systemd as PID 1: still make sure no package starts a service during this installation.
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 0755 /usr/sbin/policy-rc.d
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # udev comes with network-manager: pin it to the installed systemd, or apt upgrades systemd itself.
  pins=()
  systemd_version=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)
  if [ -n "$systemd_version" ] && ! dpkg-query -W -f='${Status}' udev 2>/dev/null | grep -q "install ok installed" \
     && apt-cache madison udev | awk '{print $3}' | grep -qx "$systemd_version"; then
    pins=("udev=$systemd_version")
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" "${pins[@]}" >/dev/null
fi
