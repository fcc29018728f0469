#!/usr/bin/env bash
# Prints the version of the wasm-bindgen crate pinned in Cargo.lock.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
if [[ -z $version ]]; then
  echo "wasm-bindgen is not in Cargo.lock" >&2
  exit 1
fi
echo "$version"
