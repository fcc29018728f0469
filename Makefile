# One target per CI step; `make ci` runs them all (everything but `bench`).
# Tools are installed by scripts/install-wasm-toolchain.sh and .ci/run.

SHELL := bash
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
NODE_DEPS := tests/node/node_modules/.package-lock.json

.PHONY: ci setup setup-wasm demo bench-smoke test wasm-abi wasm-js test-host test-node test-browser \
	native-answers size fmt-check clippy node-deps bench fuzz-smoke

ci: setup fmt-check clippy test wasm-abi wasm-js test-host test-node test-browser size bench-smoke

# Everything the checks need, installed idempotently (each step skips what is there).
setup: setup-wasm node-deps
	scripts/apt-install.sh chromium

# A compiler for wasm32-unknown-unknown and wasm-bindgen-cli at the pinned version.
setup-wasm:
	scripts/install-wasm-toolchain.sh

# The tour of the bundled sample tenant, answered inside the WebAssembly module.
demo: setup-wasm wasm-abi
	cargo run -q -p groupgate-host -- demo

test:
	cargo test

# The plain module (no imports): $(TARGET_DIR)/abi/groupgate.wasm.
wasm-abi: $(NODE_DEPS)
	scripts/build-wasm.sh abi

# The wasm-bindgen package: pkg/node and pkg/web.
wasm-js: $(NODE_DEPS)
	scripts/build-wasm.sh js

# The vector corpus, surface and careless-host tests through wasmtime.
test-host: wasm-abi
	cargo test -p groupgate-host

# The native answers to every vector case, which the Node runner compares byte for byte.
native-answers:
	cargo run -q -p groupgate-host --example native-answers -- tests/vectors > $(TARGET_DIR)/native-answers.json

test-node: wasm-js native-answers $(NODE_DEPS)
	GROUPGATE_NATIVE_ANSWERS=$(abspath $(TARGET_DIR)/native-answers.json) node --test tests/node/

test-browser: wasm-js $(NODE_DEPS)
	node tests/node/browser/smoke.mjs

size: wasm-abi wasm-js
	scripts/size.sh

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --lib --features abi -- -D warnings
	cargo clippy --lib --features js -- -D warnings

node-deps: $(NODE_DEPS)

$(NODE_DEPS): tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund

# Criterion benches (small and medium; GROUPGATE_BENCH_SIZES=small,medium,large for more),
# their table, then the same checks through Cedar. BENCHMARKS.md has the other benches.
# The benchmark build, checked without timing anything: each criterion bench runs once on
# `small`, and the Cedar comparison runs on `small`, failing on any answer that differs.
bench-smoke:
	GROUPGATE_BENCH_SIZES=small cargo bench --bench evaluate -- --test
	cargo run -q -p groupgate-bench-cedar --bin bench-cedar -- --size small --runs 1

bench:
	cargo bench --bench evaluate
	python3 benches/summarize.py
	cargo run --release -q -p groupgate-bench-cedar --bin bench-cedar -- --size $(or $(BENCH_CEDAR_SIZE),medium)

# Coverage-guided fuzzing (fuzz/README.md): every libFuzzer target for FUZZ_SECONDS each
# (default 25), failing on any crash, panic or hang. Installs cargo-fuzz when missing;
# stable Rust, no sanitizer.
fuzz-smoke:
	fuzz/scripts/run.sh -t $(or $(FUZZ_SECONDS),25)
