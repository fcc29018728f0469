# One target per CI step; `make ci` runs them all (everything but `bench`).
# Tools are installed by scripts/install-wasm-toolchain.sh and .ci/run.

SHELL := bash
# A case filter left in the environment must not thin out a CI run.
unexport VECTORS
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
NODE_DEPS := tests/node/node_modules/.package-lock.json
CONSOLE_DEPS := console/node_modules/.package-lock.json
EXAMPLES_DEPS := examples/node_modules/.package-lock.json
WORKERD_DEPS := examples/workerd/node_modules/.package-lock.json
EDGE_BENCH_DEPS := benches/edge/node_modules/.package-lock.json
SERVE_DEPS := tests/serve/node_modules/.package-lock.json
SERVE_DIR := $(TARGET_DIR)/serve-bench
EDGE_DIR := $(TARGET_DIR)/workerd
DEV_DIR := $(TARGET_DIR)/wasm-dev
# The wasm package, rebuilt only when what it is built from changed (for `make console`).
PACKAGE := pkg/inline/groupgate.js
PACKAGE_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock scripts/build-wasm.sh scripts/package-js.mjs

.PHONY: ci setup setup-wasm demo bench-smoke test test-native wasm-abi wasm-js wasm-dev test-host test-node test-browser \
	test-console test-examples test-hostile test-workerd console native-answers size fmt-check clippy \
	node-deps bench bench-edge bench-image fuzz-smoke test-serve bench-serve

ci: setup fmt-check clippy test-native wasm-abi wasm-js test-host test-node test-browser test-console \
	test-examples test-workerd test-serve test-hostile fuzz-smoke size bench-smoke

# Everything the checks need, installed idempotently (each step skips what is there).
setup: setup-wasm node-deps
	scripts/apt-install.sh chromium

# A compiler for wasm32-unknown-unknown and wasm-bindgen-cli at the pinned version.
setup-wasm:
	scripts/install-wasm-toolchain.sh

# The tour of the bundled sample tenant, answered inside the WebAssembly module.
demo: setup-wasm wasm-abi
	cargo run -q -p groupgate-host -- demo

# The fast loop for contributors (not a CI step; `make ci` runs every check): fmt, every
# crate's tests natively, then the vector corpus and surface tests through wasmtime and through
# Node, on a quick wasm build (profile wasm-dev: no LTO, no wasm-opt) kept in $(DEV_DIR), apart
# from the release builds CI checks. Skips clippy, the release and size builds, Chromium,
# workerd, the hostile inputs, fuzzing and the benches.
test: fmt-check test-native wasm-dev native-answers $(NODE_DEPS)
	GROUPGATE_WASM=$(abspath $(DEV_DIR)/abi/groupgate.wasm) cargo test -p groupgate-host
	GROUPGATE_PKG_DIR=$(abspath $(DEV_DIR)/pkg) GROUPGATE_NATIVE_ANSWERS=$(abspath $(TARGET_DIR)/native-answers.json) \
	  node --test tests/node/

# Every crate's tests but the host's, which need the wasm module (`test-host`): the vectors,
# the property, robustness and layer tests, the unit tests.
test-native:
	cargo test --workspace --exclude groupgate-host

# The plain module (no imports): $(TARGET_DIR)/abi/groupgate.wasm.
wasm-abi: $(NODE_DEPS)
	scripts/build-wasm.sh abi

# The wasm-bindgen package: pkg/node and pkg/web.
wasm-js: $(NODE_DEPS)
	scripts/build-wasm.sh js

# Both, built quickly for `make test` (profile wasm-dev, no wasm-opt) into $(DEV_DIR): abi/ and pkg/.
wasm-dev: $(NODE_DEPS)
	WASM_PROFILE=wasm-dev WASM_OPT=none WASM_OUT=$(DEV_DIR) scripts/build-wasm.sh abi
	WASM_PROFILE=wasm-dev WASM_OPT=none WASM_OUT=$(DEV_DIR) scripts/build-wasm.sh js

# The vector corpus, surface and careless-host tests through wasmtime.
test-host: wasm-abi
	cargo test -p groupgate-host

# Hostile inputs natively, in wasmtime and in Node, each under a memory and time budget.
test-hostile: wasm-abi wasm-js $(NODE_DEPS)
	cargo test --profile hostile -p groupgate-host --test hostile -- --ignored --nocapture
	cargo run -q --profile hostile -p groupgate-host --example hostile -- $(TARGET_DIR)/hostile-inputs
	GROUPGATE_HOSTILE_DIR=$(abspath $(TARGET_DIR)/hostile-inputs) node --test tests/node/hostile.test.mjs

# The native answers to every vector case, which the Node runner compares byte for byte.
native-answers:
	cargo run -q -p groupgate-host --example native-answers -- tests/vectors > $(TARGET_DIR)/native-answers.json

test-node: wasm-js native-answers $(NODE_DEPS)
	GROUPGATE_NATIVE_ANSWERS=$(abspath $(TARGET_DIR)/native-answers.json) node --test tests/node/

test-browser: wasm-js $(NODE_DEPS)
	node tests/node/browser/smoke.mjs

# The console end to end in headless Chromium, against the engine in pkg/; screenshots at four
# widths in $(TARGET_DIR)/console-screenshots. The generated-tenant flows run on a `medium`
# tenant; GROUPGATE_CONSOLE_TENANT=large.json runs them on another file instead.
CONSOLE_TENANT := $(TARGET_DIR)/console-medium.json
test-console: wasm-js $(CONSOLE_DEPS) $(CONSOLE_TENANT)
	GROUPGATE_CONSOLE_TENANT=$(abspath $(or $(GROUPGATE_CONSOLE_TENANT),$(CONSOLE_TENANT))) node --test console/test/

$(CONSOLE_TENANT):
	cargo run -q -p groupgate-host -- gen --size medium > $@.tmp
	mv $@.tmp $@

# The examples (esbuild, Vite, Web Worker) built against the packed tarball and run in Chromium,
# and the package's workerd entry bundled as wrangler bundles it, run in workerd.
test-examples: wasm-js $(EXAMPLES_DEPS) $(WORKERD_DEPS)
	node --test examples/

# The Worker of examples/workerd under real workerd (the npm package, pinned there), on the sample
# tenant compiled: started on 127.0.0.1, asked over HTTP, answers compared with the native
# engine's, stopped. Then the npm package's own `workerd` entry (pkg/workerd.mjs), resolved as
# wrangler resolves it, in a Worker whose answers are compared with the native engine's.
test-workerd: wasm-abi wasm-js $(WORKERD_DEPS)
	cargo build -q -p groupgate-host
	mkdir -p $(EDGE_DIR)
	$(TARGET_DIR)/debug/groupgate compile --snapshot samples/tenant.json --out $(EDGE_DIR)/tenant.ggc --native
	GROUPGATE_WASM=$(abspath $(TARGET_DIR)/abi/groupgate.wasm) GROUPGATE_GGC=$(abspath $(EDGE_DIR)/tenant.ggc) \
	GROUPGATE_BIN=$(abspath $(TARGET_DIR)/debug/groupgate) timeout 300 node examples/workerd/e2e.mjs
	GROUPGATE_BIN=$(abspath $(TARGET_DIR)/debug/groupgate) timeout 300 node examples/workerd/package-entry.mjs

$(WORKERD_DEPS): examples/workerd/package.json examples/workerd/package-lock.json
	cd examples/workerd && npm ci --no-audit --no-fund

$(EDGE_BENCH_DEPS): benches/edge/package.json benches/edge/package-lock.json
	cd benches/edge && npm ci --no-audit --no-fund

# `groupgate serve` with real parts: behind Debian's nginx (auth_request, and two replicas behind
# it as a load balancer), AuthZEN endpoints, hostile HTTP, and a reload and applies under load
# from autocannon (pinned in tests/serve). Everything on 127.0.0.1, every process stopped.
test-serve: $(SERVE_DEPS)
	scripts/apt-install.sh nginx
	cargo build -q -p groupgate-host
	GROUPGATE_BIN=$(abspath $(TARGET_DIR)/debug/groupgate) timeout 300 node --test tests/serve/

$(SERVE_DEPS): tests/serve/package.json tests/serve/package-lock.json
	cd tests/serve && npm ci --no-audit --no-fund

# `groupgate serve` (release) on the large tenant: req/s, p50 and p99 per route (BENCHMARKS.md).
# SERVE_RUNS and SERVE_SECONDS change the number of runs and the seconds of load per route.
bench-serve: $(SERVE_DEPS)
	cargo build -q --release -p groupgate-host
	mkdir -p $(SERVE_DIR)
	$(TARGET_DIR)/release/groupgate gen --size large > $(SERVE_DIR)/large.json
	$(TARGET_DIR)/release/groupgate compile --snapshot $(SERVE_DIR)/large.json --out $(SERVE_DIR)/large.ggc --native
	cargo run -q --release -p groupgate-workload --example plan large 1 > $(SERVE_DIR)/large.plan.json
	GROUPGATE_BIN=$(abspath $(TARGET_DIR)/release/groupgate) node benches/serve/bench.mjs \
	  --compiled $(SERVE_DIR)/large.ggc --plan $(SERVE_DIR)/large.plan.json \
	  --runs $(or $(SERVE_RUNS),3) --duration $(or $(SERVE_SECONDS),5)

# Compiled images per size (IMAGE_SIZES, default small,medium,large; add huge for the million
# users): bytes, gzipped, restore time and peak natively, in wasmtime, in Node and as the
# Worker's cold start in workerd, beside the JSON load, and the JSON load of the same tenant by
# Cedar and by regorus (the `regorus` feature of bench-cedar, built here only).
bench-image: wasm-abi wasm-js $(WORKERD_DEPS) $(EDGE_BENCH_DEPS)
	cargo build --release -q -p groupgate-host -p groupgate-bench-cedar --bins --features groupgate-bench-cedar/regorus
	python3 benches/image.py --sizes $(or $(IMAGE_SIZES),small,medium,large) --runs $(or $(IMAGE_RUNS),3)

# The same Worker on the large tenant: cold start, memory, requests under load (BENCHMARKS.md).
# EDGE_RUNS and EDGE_SECONDS change the number of runs and the seconds of load per route.
bench-edge: wasm-abi $(WORKERD_DEPS) $(EDGE_BENCH_DEPS)
	cargo build -q --release -p groupgate-host
	mkdir -p $(EDGE_DIR)
	$(TARGET_DIR)/release/groupgate gen --size large > $(EDGE_DIR)/large.json
	$(TARGET_DIR)/release/groupgate compile --snapshot $(EDGE_DIR)/large.json --out $(EDGE_DIR)/large.ggc --native
	$(TARGET_DIR)/release/groupgate compile --snapshot samples/tenant.json --out $(EDGE_DIR)/tenant.ggc --native
	cargo run -q --release -p groupgate-workload --example plan large 1 > $(EDGE_DIR)/large.plan.json
	node $$(node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' || echo --experimental-websocket) \
	  benches/edge/bench.mjs --wasm $(TARGET_DIR)/abi/groupgate.wasm --snapshot $(EDGE_DIR)/large.ggc \
	  --plan $(EDGE_DIR)/large.plan.json --json $(EDGE_DIR)/large.json --baseline $(EDGE_DIR)/tenant.ggc --gzip \
	  --runs $(or $(EDGE_RUNS),5) --duration $(or $(EDGE_SECONDS),10)

# The console on http://127.0.0.1:4173/ (PORT=… for another port).
console: $(PACKAGE) $(CONSOLE_DEPS)
	node console/build.mjs
	node console/serve.mjs

$(PACKAGE): $(PACKAGE_SOURCES) | $(NODE_DEPS)
	scripts/build-wasm.sh js

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

$(CONSOLE_DEPS): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund

$(EXAMPLES_DEPS): examples/package.json examples/package-lock.json examples/*/package.json
	cd examples && npm ci --no-audit --no-fund

# Criterion benches (small and medium; GROUPGATE_BENCH_SIZES=small,medium,large for more),
# their table, then the same checks through Cedar. BENCHMARKS.md has the other benches.
# The benchmark build, checked without timing anything: each criterion bench runs once on
# `small`, and the Cedar comparison runs on `small`, failing on any answer that differs, as
# does `bench-image`'s Cedar load (`bench-memory --peer cedar`). Its regorus load is not run:
# the `regorus` feature would rebuild most of the debug tree (several minutes).
bench-smoke:
	GROUPGATE_BENCH_SIZES=small cargo bench --bench evaluate -- --test
	cargo run -q -p groupgate-bench-cedar --bin bench-cedar -- --size small --runs 1
	cargo build -q -p groupgate-host -p groupgate-bench-cedar --bins
	mkdir -p $(TARGET_DIR)/bench-smoke
	$(TARGET_DIR)/debug/groupgate gen --size small --seed 1 > $(TARGET_DIR)/bench-smoke/small.json
	$(TARGET_DIR)/debug/bench-memory --peer cedar $(TARGET_DIR)/bench-smoke/small.json

bench:
	cargo bench --bench evaluate
	python3 benches/summarize.py
	cargo run --release -q -p groupgate-bench-cedar --bin bench-cedar -- --size $(or $(BENCH_CEDAR_SIZE),medium)

# Coverage-guided fuzzing (fuzz/README.md): every libFuzzer target for FUZZ_SECONDS each
# (default 25), failing on any crash, panic or hang. Installs cargo-fuzz when missing;
# stable Rust, no sanitizer. libFuzzer's seed is fixed (FUZZ_SEED, default 1, printed);
# crashing inputs are kept in $(TARGET_DIR)/fuzz-artifacts/<target>/.
fuzz-smoke:
	fuzz/scripts/run.sh -t $(or $(FUZZ_SECONDS),25)
