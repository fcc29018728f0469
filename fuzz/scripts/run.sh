#!/usr/bin/env bash
# Runs the fuzz targets one after the other, each for a bounded time, and fails on the
# first crash, panic, hang or out-of-memory. Installs cargo-fuzz first when it is missing.
#
#   fuzz/scripts/run.sh [-t SECONDS] [TARGET...]     # default: 25 s each, every target
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 25; -t wins)
#   FUZZ_NICE      niceness of the fuzzer (default 15: the machine's cores are shared)
#   FUZZ_SEED      libFuzzer's random seed (default 1), printed: the same seed, corpus and
#                  time give the same run, so a CI failure replays by hand
#   FUZZ_ARGS      extra libFuzzer flags, e.g. "-max_len=8192"
#   FUZZ_SANITIZER cargo-fuzz sanitizer (default none; "address" needs a nightly compiler,
#                  or RUSTC_BOOTSTRAP=1 on stable, and runs about 5x slower)
#
# The committed seeds (fuzz/corpus/<target>) and reproducers (fuzz/regressions/<target>) are
# read, never written: new inputs go to fuzz/work/corpus/<target>, crashing inputs to
# target/fuzz-artifacts/<target>/ (under $CARGO_TARGET_DIR when set: CI keeps that directory
# as an artifact), a log per target to fuzz/work/logs/<target>.log.
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL_TARGETS=(snapshot rule query apply compiled)
CARGO_FUZZ_VERSION=0.13.2

seconds="${FUZZ_SECONDS:-25}"
while getopts "t:" opt; do
    case "$opt" in
        t) seconds="$OPTARG" ;;
        *) echo "usage: $0 [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")

sanitizer="${FUZZ_SANITIZER:-none}"
seed="${FUZZ_SEED:-1}"
if ! [[ $seed =~ ^[0-9]+$ ]] || ((seed == 0)); then
    # libFuzzer reads 0 as "pick one from the clock".
    echo "FUZZ_SEED must be a positive integer, not \`$seed\`" >&2
    exit 2
fi
artifacts="${CARGO_TARGET_DIR:-$(cd "$FUZZ_DIR/.." && pwd)/target}/fuzz-artifacts"
niceness="${FUZZ_NICE:-15}"

# libFuzzer is C++: libfuzzer-sys builds it with g++ (Debian's package when it is missing).
if ! command -v g++ >/dev/null 2>&1; then
    "$FUZZ_DIR/../scripts/apt-install.sh" g++
fi

# cargo-fuzz, from crates.io, when it is not there yet.
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked \
        || cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

cd "$FUZZ_DIR"
echo "building the fuzz targets (sanitizer: $sanitizer)" >&2
cargo fuzz build -s "$sanitizer"

dict_for() {
    case "$1" in
        rule) echo "$FUZZ_DIR/dict/rule.dict" ;;
        *) echo "$FUZZ_DIR/dict/json.dict" ;;
    esac
}

mkdir -p work/logs
status=0
for target in "${targets[@]}"; do
    mkdir -p "work/corpus/$target" "$artifacts/$target"
    # Minimized reproducers of past findings run first, with the seeds.
    seeds=("corpus/$target")
    [[ -d "regressions/$target" ]] && seeds+=("regressions/$target")
    log="work/logs/$target.log"
    echo "== $target: ${seconds}s, -seed=$seed" >&2
    # One process on one core (-jobs/-workers left at their in-process default); a 10 s
    # timeout counts as a hang; libFuzzer's memory limit stays at 2 GiB.
    # shellcheck disable=SC2086
    if nice -n "$niceness" cargo fuzz run -s "$sanitizer" "$target" \
        "work/corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -seed="$seed" \
        -artifact_prefix="$artifacts/$target/" \
        -dict="$(dict_for "$target")" -print_final_stats=1 ${FUZZ_ARGS:-} \
        >"$log" 2>&1; then
        grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE))|stat::number_of_executed_units|stat::average_exec_per_sec' "$log" >&2 || true
    else
        status=1
        # The panic message (the assertion that failed), then libFuzzer's summary.
        grep -m1 -A15 'panicked at' "$log" >&2 || true
        grep -A6 -E '^(==[0-9]+== ERROR|SUMMARY)|^Failing input' "$log" >&2 || tail -n 30 "$log" >&2
        echo "FAILED: $target, -seed=$seed (log: fuzz/$log; reproducer in $artifacts/$target/)" >&2
        echo "reproduce: cd fuzz && cargo fuzz run -s $sanitizer $target $artifacts/$target/<file>" >&2
    fi
done
exit "$status"
