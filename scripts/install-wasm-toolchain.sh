#!/usr/bin/env bash
# Installs what building the WebAssembly artifacts needs, skipping whatever is already there:
#  - a compiler for wasm32-unknown-unknown: rustup's target when installed, else Debian's
#    rustc-web, cargo-web, rust-web-src and lld-22 from bookworm-security;
#  - wasm-bindgen-cli at exactly the version of the wasm-bindgen crate in Cargo.lock.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# shellcheck source=wasm-env.sh
source scripts/wasm-env.sh
if [[ $WASM_ROUTE == none ]]; then
  scripts/apt-install.sh -t bookworm-security rustc-web cargo-web rust-web-src lld-22
  source scripts/wasm-env.sh
fi
echo "wasm toolchain: $WASM_ROUTE"

version=$(scripts/wasm-bindgen-version.sh)
if wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
  echo "wasm-bindgen-cli $version: installed"
else
  cargo install wasm-bindgen-cli --version "$version"
fi
