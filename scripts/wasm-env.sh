# Sourced by the wasm scripts: picks the toolchain that builds for wasm32-unknown-unknown.
#
# rustup's target when it is installed (the ordinary route); otherwise Debian's rustc-web,
# which builds the standard library from source (-Zbuild-std) and links with wasm-ld-22.
# Sets WASM_ROUTE (rustup | debian) and the array WASM_CARGO: the cargo command line to build with.

wasm_rustup_ready() {
  command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}

wasm_debian_ready() {
  [[ -x /usr/bin/cargo && -x /usr/bin/rustc && -d /usr/lib/rustlib/src/rust/library ]] &&
    command -v wasm-ld-22 >/dev/null 2>&1
}

if wasm_rustup_ready; then
  WASM_ROUTE=rustup
  WASM_CARGO=(cargo build --target wasm32-unknown-unknown)
elif wasm_debian_ready; then
  WASM_ROUTE=debian
  # Debian's toolchain first; nightly flags through RUSTC_BOOTSTRAP; panics abort at once,
  # which drops the panic machinery from the module (the core never panics by design).
  WASM_CARGO=(env "PATH=/usr/bin:$PATH" RUSTC_BOOTSTRAP=1
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
    "RUSTFLAGS=-Zunstable-options -Cpanic=immediate-abort"
    cargo build --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort)
else
  WASM_ROUTE=none
  WASM_CARGO=()
fi
