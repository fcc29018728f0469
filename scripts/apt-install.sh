#!/usr/bin/env bash
# Installs Debian packages that are not installed yet; does nothing when all are.
#   scripts/apt-install.sh [-t SUITE] PACKAGE...
set -euo pipefail

suite=()
if [[ ${1:-} == -t ]]; then
  suite=(-t "$2")
  shift 2
fi

missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "apt: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${suite[@]}" "${missing[@]}"
