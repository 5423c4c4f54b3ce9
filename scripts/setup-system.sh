#!/usr/bin/env bash
# Installs the Debian packages camprint needs when they are missing (no prompt). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "camprint set-up: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
