#!/usr/bin/env bash
# Builds a WebAssembly artifact: the plain module with the `wasm-speed` profile, the JS package
# with the size-optimized `wasm` profile for browsers and the `wasm-node` (speed) one for Node.
#   scripts/build-wasm.sh abi   the plain module, no imports: $TARGET/abi/groupgate.wasm
#   scripts/build-wasm.sh js    the wasm-bindgen package: pkg/node (CommonJS), pkg/web (ES module)
#                               and pkg/inline (ES module, the module's bytes embedded; needs node)
# $TARGET is $CARGO_TARGET_DIR, else target/. WASM_PROFILE picks another cargo profile.
# wasm-opt (the npm `binaryen` package under tests/node, or $WASM_OPT) shrinks the result when present;
# WASM_OPT=none skips it.
# WASM_OUT=dir writes everything under dir instead: dir/abi/groupgate.wasm, and dir/pkg/ (the
# package's own files copied from pkg/, with node/, web/ and inline/ built beside them), so a
# build for the fast test loop (`make test`: WASM_PROFILE=wasm-dev) never replaces what CI checks.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

kind=${1:?usage: scripts/build-wasm.sh abi|js}
case $kind in
abi | js) ;;
*)
  echo "unknown artifact \`$kind\`: abi or js" >&2
  exit 2
  ;;
esac

# shellcheck source=wasm-env.sh
source scripts/wasm-env.sh
if [[ $WASM_ROUTE == none ]]; then
  echo "no compiler for wasm32-unknown-unknown: run scripts/install-wasm-toolchain.sh" >&2
  exit 1
fi

target_dir=${CARGO_TARGET_DIR:-$root/target}
out_dir=${WASM_OUT:-}
abi_dir=${out_dir:-$target_dir}/abi
pkg_dir=pkg
if [[ -n $out_dir ]]; then
  pkg_dir=$out_dir/pkg
fi
# The plain module serves proxies that check on every request: it is built for speed
# (about 3x faster checks than the size build, 285 KB gzipped). The JS package's browser
# builds (web, inline) are built for size, since browsers download them; its Node build is
# built for speed, like the plain module, since servers check on every request and download
# nothing. The Node build's profile, `wasm-node`, is `wasm-speed` under its own name, so that
# the two builds of that profile with different features do not overwrite each other.
# WASM_PROFILE builds everything with one profile instead.
wasm_opt=${WASM_OPT:-$root/tests/node/node_modules/.bin/wasm-opt}
optimize() { # FILE LEVEL
  if [[ $wasm_opt != none && -x $wasm_opt ]]; then
    "$wasm_opt" "$2" --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
      --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
      "$1" -o "$1.opt"
    mv "$1.opt" "$1"
  fi
}
# Builds the crate with `--features $kind` and profile $1; sets `built` to the module.
build() {
  local profile=${WASM_PROFILE:-$1}
  "${WASM_CARGO[@]}" --lib --profile "$profile" --features "$kind" \
    --config 'profile.wasm-node.inherits="wasm-speed"'
  built=$target_dir/wasm32-unknown-unknown/$profile/groupgate.wasm
}
level_for() { # PROFILE: wasm-opt's level for a build of that profile
  case ${WASM_PROFILE:-$1} in
  wasm) echo -Oz ;;
  *) echo -O3 ;;
  esac
}

start=$SECONDS
case $kind in
abi)
  build wasm-speed
  mkdir -p "$abi_dir"
  out=$abi_dir/groupgate.wasm
  cp "$built" "$out"
  optimize "$out" "$(level_for wasm-speed)"
  profiles=${WASM_PROFILE:-wasm-speed}
  ;;
js)
  version=$(scripts/wasm-bindgen-version.sh)
  if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
    echo "wasm-bindgen-cli $version is needed: run scripts/install-wasm-toolchain.sh" >&2
    exit 1
  fi
  if [[ $pkg_dir != pkg ]]; then
    # The package's own files (package.json, entries, declarations, README), as in pkg/.
    mkdir -p "$pkg_dir"
    find pkg -maxdepth 1 -type f ! -name 'LICENSE-*' ! -name '*.tgz' -exec cp {} "$pkg_dir/" \;
  fi
  for target in nodejs web; do
    dir=$pkg_dir/${target%js}
    case $target in
    nodejs) profile=wasm-node ;;
    web) profile=wasm ;;
    esac
    build "$profile"
    rm -rf "$dir"
    wasm-bindgen --target "$target" --no-typescript --out-dir "$dir" --out-name groupgate "$built"
    optimize "$dir/groupgate_bg.wasm" "$(level_for "$profile")"
  done
  # The web build is an ES module; the Node build stays CommonJS (the package's default).
  echo '{ "type": "module" }' >"$pkg_dir/web/package.json"
  # The entries around the glue, and the bundler-proof variant: the web glue with the
  # optimized module embedded.
  rm -rf "$pkg_dir/inline"
  GROUPGATE_PKG_DIR=$pkg_dir node scripts/package-js.mjs
  # The tarball carries the crate's two license texts.
  cp LICENSE-MIT LICENSE-APACHE "$pkg_dir/"
  out="$pkg_dir/node $pkg_dir/web $pkg_dir/inline"
  profiles=${WASM_PROFILE:-wasm-node (node), wasm (web, inline)}
  ;;
esac
echo "wasm ($kind, $WASM_ROUTE, $profiles): $out in $((SECONDS - start)) s"
