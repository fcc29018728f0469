#!/usr/bin/env bash
# Prints the raw and gzipped sizes of the two WebAssembly artifacts, and fails over budget.
# Budgets (KiB, gzipped): SIZE_BUDGET_ABI, SIZE_BUDGET_JS. They are ceilings against accidental
# growth, not targets. The plain module is built for speed and is not downloaded per page view:
# its hosts (proxies, wasmtime, an edge Worker, whose script limit is several MB compressed)
# load it once. The browser package is what a console downloads, so its budget is the tight one.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}

over=0
report() {
  local name=$1 file=$2 budget_kib=$3
  if [[ ! -f $file ]]; then
    echo "$name: $file is missing" >&2
    over=1
    return
  fi
  local raw gz
  raw=$(stat -c %s "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  printf '%-28s %9d bytes raw %9d bytes gzip (budget %d KiB gzip)\n' "$name" "$raw" "$gz" "$budget_kib"
  if ((gz > budget_kib * 1024)); then
    echo "$name is over its budget" >&2
    over=1
  fi
}

report "plain module (abi)" "$target_dir/abi/groupgate.wasm" "${SIZE_BUDGET_ABI:-640}"
report "pkg/web/groupgate_bg.wasm" "$root/pkg/web/groupgate_bg.wasm" "${SIZE_BUDGET_JS:-400}"
exit $over
