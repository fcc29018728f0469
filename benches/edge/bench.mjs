// The groupgate Worker (examples/workerd) under real workerd, on a compiled tenant: cold start,
// memory, and HTTP requests under load from autocannon.
//
//   node --experimental-websocket benches/edge/bench.mjs --snapshot large.ggc --plan large.plan.json \
//     [--gzip] [--json large.json] [--baseline tenant.ggc] [--runs 5] [--duration 10] [--connections 8]
//   node --experimental-websocket benches/edge/bench.mjs --cold --snapshot FILE.ggc --user U --product P
//
// large.ggc comes from `groupgate gen --size large` and `groupgate compile … --native`;
// large.plan.json from `cargo run --release -p groupgate-workload --example plan large 1` (the
// same 100,000 (user, product) checks as the other benches). --baseline is a small compiled
// tenant (default: the sample that `make test-workerd` compiles), for what the large one adds.
// Needs `npm ci` in examples/workerd and in benches/edge, the plain module (`make wasm-abi`),
// and a global WebSocket for workerd's inspector (Node 22, or Node 20 with the flag above).
//
// Each run starts a fresh workerd and measures, in order:
// * start: from spawning workerd to its socket listening;
// * first request: the first GET /check, on a new connection; it restores the engine, which the
//   isolate times itself; then a second request;
// * isolate memory, from the inspector and /stats: JS heap, ArrayBuffer bytes (the bundled
//   snapshot) and the module's linear memory; and workerd's resident set (VmRSS, peak VmHWM);
// * latency: 2,000 requests one at a time on one kept-alive connection, to /check (full answer)
//   and to /allow (decision only): p50 and p99 to the microsecond;
// * load: /check and /allow for --duration seconds each with --connections connections from
//   autocannon, over the check sequence in order: requests/s, p50 and p99 (whole milliseconds:
//   autocannon's histogram resolution);
// * replacement: a simulated trap, the restore of a fresh instance, and the memory before and
//   after a full garbage collection.
// With --gzip, every run is made again with the snapshot gzip-compressed, a column of its own.
// With --json large.json, also times the same module in this Node process restoring the engine
// from the compiled bytes against loading it from the JSON text.
// With --cold (for `make bench-image`), only a cold start: a fresh workerd, one GET /check for
// --user and --product, the restore as the isolate timed it, the isolate's memory and workerd's
// peak; printed as one JSON line. No plan is needed.
// Prints markdown tables of medians (min–max) with the machine's load average, and writes every
// sample to bench-results/edge.json.

import autocannon from "autocannon";
import { Agent, get as httpGet } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { start, defaults } from "../../examples/workerd/serve.mjs";
import { Gate } from "../../examples/workerd/src/gate.js";
import { connect, freePort } from "./inspector.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    snapshot: { type: "string" },
    plan: { type: "string" },
    baseline: { type: "string", default: defaults.snapshot },
    json: { type: "string" },
    gzip: { type: "boolean", default: false },
    wasm: { type: "string", default: defaults.wasm },
    runs: { type: "string", default: "5" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "8" },
    cold: { type: "boolean", default: false },
    user: { type: "string" },
    product: { type: "string" },
  },
});
const bindings = { GROUPGATE_STATS: "on", GROUPGATE_TEST_TRAP: "on" };
if (opts.cold) {
  if (!opts.snapshot || !opts.user || !opts.product) {
    console.error("usage: node benches/edge/bench.mjs --cold --snapshot FILE.ggc --user U --product P");
    process.exit(2);
  }
  console.log(JSON.stringify(await runCold(opts.snapshot)));
  process.exit(0);
}
if (!opts.snapshot || !opts.plan) {
  console.error("usage: node benches/edge/bench.mjs --snapshot FILE.ggc --plan PLAN.json [--baseline FILE.ggc] [--runs N] [--duration S] [--connections N]");
  process.exit(2);
}
const runs = Number(opts.runs);
const duration = Number(opts.duration);
const connections = Number(opts.connections);

const plan = JSON.parse(readFileSync(opts.plan, "utf8"));
const queries = plan.checks.map(
  ([user, product]) => `?user=${encodeURIComponent(user)}&product=${encodeURIComponent(product)}`,
);
const paths = queries.map((query) => `/check${query}`);
const compiledBytes = readFileSync(opts.snapshot).length;

// The allowed ratio of the sequence, from the same module in this process: the Worker must agree.
const expectedAllowed = (() => {
  const gate = new Gate(new WebAssembly.Module(readFileSync(opts.wasm)), readFileSync(opts.snapshot));
  let allowed = 0;
  for (const [user, product] of plan.checks) if (gate.check(user, product) > 0) allowed++;
  return allowed / plan.checks.length;
})();

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))[1]);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

async function timed(url, init) {
  const started = performance.now();
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

async function stats(url) {
  return (await fetch(`${url}/stats`)).json();
}

/** autocannon on `route` over the check sequence, in order, from a random start. */
async function load(url, route, seconds) {
  let next = Math.floor(Math.random() * queries.length);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest(request) {
          request.path = route + queries[next];
          next = (next + 1) % queries.length;
          return request;
        },
      },
    ],
  });
  const codes = result.statusCodeStats ?? {};
  const count = (code) => codes[code]?.count ?? 0;
  const answered = count(200) + count(403);
  if (result.errors || result.timeouts || !answered || answered !== result.requests.total) {
    throw new Error(`${route}: ${result.errors} errors, ${result.timeouts} timeouts, answers ${JSON.stringify(codes)}`);
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    allowed: count(200) / answered,
    total: result.requests.total,
  };
}

/** One request at a time on one kept-alive connection: latency percentiles to the microsecond. */
async function sequential(url, route, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples = [];
  let next = Math.floor(Math.random() * queries.length);
  for (let i = 0; i < count; i++) {
    const path = route + queries[next];
    next = (next + 1) % queries.length;
    const started = process.hrtime.bigint();
    await new Promise((done, fail) => {
      const req = httpGet(url + path, { agent }, (res) => {
        res.resume();
        res.on("end", done);
      });
      req.on("error", fail);
    });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * What the isolate holds, in MB: JS heap (used, and committed), ArrayBuffer bytes (the bundled
 * snapshot), module memory; `total` counts the heap used, `committed` the heap committed.
 */
async function isolate(inspector, url) {
  const heap = await inspector.heap();
  const { wasmMemoryBytes } = await stats(url);
  const mb = (bytes) => bytes / 2 ** 20;
  const sample = {
    jsHeap: mb(heap.usedSize),
    jsHeapCommitted: mb(heap.totalSize),
    buffers: mb(heap.backingStorageSize ?? 0),
    wasm: mb(wasmMemoryBytes ?? 0),
  };
  sample.total = sample.jsHeap + sample.buffers + sample.wasm;
  sample.committed = sample.jsHeapCommitted + sample.buffers + sample.wasm;
  return sample;
}

/**
 * Runs `body(server, inspect)` against a fresh workerd serving `snapshot` with an inspector
 * port; `inspect()` connects to the isolate (once). workerd stops afterwards, whatever happens.
 */
async function withWorkerd(snapshot, timeoutMs, body) {
  const inspectorPort = await freePort();
  const server = await start({
    wasm: opts.wasm,
    snapshot,
    bindings,
    timeoutMs,
    args: ["--inspector-addr", `127.0.0.1:${inspectorPort}`],
  });
  let inspector;
  try {
    return await body(server, async () => (inspector ??= await connect(inspectorPort)));
  } finally {
    inspector?.close();
    await server.stop();
  }
}

function runLarge(snapshot) {
  const load1 = loadavg()[0];
  return withWorkerd(snapshot, 120_000, async (server, inspect) => {
    const sample = { startMs: server.startupMs, load1 };
    const first = await timed(`${server.url}${paths[0]}`);
    const second = await timed(`${server.url}${paths[1]}`);
    sample.firstMs = first.ms;
    sample.secondMs = second.ms;
    sample.loadMs = (await stats(server.url)).loadMs;
    const inspector = await inspect();
    sample.isolate = await isolate(inspector, server.url);
    sample.idle = memory(server.pid);
    await load(server.url, "/check", 2); // warm-up
    sample.check1 = await sequential(server.url, "/check", 2000);
    sample.allow1 = await sequential(server.url, "/allow", 2000);
    sample.check = await load(server.url, "/check", duration);
    sample.allow = await load(server.url, "/allow", duration);
    sample.loaded = memory(server.pid);
    sample.isolateLoaded = await isolate(inspector, server.url);
    // An instance replacement: the isolate restores the engine again after the answer went out.
    await timed(`${server.url}${paths[0]}`, { headers: { "x-groupgate-test-trap": "1" } });
    let after = await stats(server.url);
    for (let i = 0; i < 100 && after.wasmMemoryBytes === null; i++) after = await stats(server.url);
    sample.reloadMs = after.loadMs;
    sample.replaced = memory(server.pid);
    // The trapped instance is garbage: a full collection gives its memory back.
    await inspector.collectGarbage(() => stats(server.url));
    sample.collected = memory(server.pid);
    sample.isolateCollected = await isolate(inspector, server.url);
    sample.load1End = loadavg()[0];
    return sample;
  });
}

/** A cold start alone: a fresh workerd, its first request, the restore and the memory after. */
function runCold(snapshot) {
  return withWorkerd(snapshot, 300_000, async (server, inspect) => {
    const query = `?user=${encodeURIComponent(opts.user)}&product=${encodeURIComponent(opts.product)}`;
    const first = await timed(`${server.url}/check${query}`);
    if (first.status !== 200 && first.status !== 403) {
      throw new Error(`the first request answered ${first.status}`);
    }
    const { loadMs } = await stats(server.url);
    const held = await isolate(await inspect(), server.url);
    return {
      startMs: server.startupMs,
      firstMs: first.ms,
      restoreMs: loadMs,
      isolateMB: held.total,
      wasmMB: held.wasm,
      ...memory(server.pid),
    };
  });
}

async function runBaseline() {
  const server = await start({ wasm: opts.wasm, snapshot: opts.baseline, bindings, timeoutMs: 60_000 });
  try {
    const first = await timed(`${server.url}/check?user=u-lucas&product=p-github`);
    return { startMs: server.startupMs, firstMs: first.ms, idle: memory(server.pid) };
  } finally {
    await server.stop();
  }
}

function summary(values) {
  const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

function cell(values, digits = 1) {
  const s = summary(values);
  if (!s) return "–";
  const f = (v) => v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/**
 * With --json (the tenant's snapshot text): the same module in this process's V8, restoring the
 * engine from the compiled bytes and loading it from JSON, each on a fresh instance.
 */
function inNode() {
  const module = new WebAssembly.Module(readFileSync(opts.wasm));
  const json = readFileSync(opts.json);
  const compiled = readFileSync(opts.snapshot);
  const once = (bytes, load) => {
    const x = new WebAssembly.Instance(module, {}).exports;
    const started = performance.now();
    const ptr = x.gg_alloc(bytes.length);
    new Uint8Array(x.memory.buffer).set(bytes, ptr);
    if (load(x, ptr, bytes.length) === 0) throw new Error("the module refused the tenant");
    return { ms: performance.now() - started, memoryMB: x.memory.buffer.byteLength / 2 ** 20 };
  };
  const samples = { compiled: [], json: [] };
  for (let run = 0; run < runs; run++) {
    samples.compiled.push(once(compiled, (x, ptr, len) => x.gg_engine_from_compiled(ptr, len)));
    samples.json.push(once(json, (x, ptr, len) => x.gg_engine_new(ptr, len, 0)));
  }
  return samples;
}

// The snapshot bundled as is, and (with --gzip) gzip-compressed, which the Worker inflates.
const variants = [{ name: "as is", file: opts.snapshot, samples: [] }];
let scratchDir = null;
if (opts.gzip) {
  scratchDir = mkdtempSync(join(tmpdir(), "groupgate-edge-bench-"));
  const file = join(scratchDir, "large.ggc.gz");
  writeFileSync(file, gzipSync(readFileSync(opts.snapshot)));
  variants.push({ name: `gzip (${(statSync(file).size / 1e6).toFixed(1)} MB)`, file, samples: [] });
}

const baseline = [];
try {
  for (let run = 0; run < runs; run++) {
    baseline.push(await runBaseline());
    for (const variant of variants) {
      const s = await runLarge(variant.file);
      variant.samples.push(s);
      console.error(
        `run ${run + 1}/${runs}, ${variant.name}: start ${s.startMs.toFixed(0)} ms, first ${s.firstMs.toFixed(1)} ms, ` +
          `/check ${s.check.rps.toFixed(0)}/s p99 ${s.check.p99} ms, /allow ${s.allow.rps.toFixed(0)}/s, ` +
          `isolate ${s.isolate.total.toFixed(1)} MB (module ${s.isolate.wasm.toFixed(1)}, buffers ${s.isolate.buffers.toFixed(1)}), RSS ${s.loaded.rss.toFixed(0)} MB, restore ${s.loadMs?.toFixed(0)} ms, ` +
          `replacement ${s.reloadMs?.toFixed(0)} ms, load ${s.load1.toFixed(2)}`,
      );
      // The share of 200s in a window of the sequence: within four standard deviations.
      for (const kind of ["check", "allow"]) {
        const p = expectedAllowed;
        if (Math.abs(s[kind].allowed - p) > 4 * Math.sqrt((p * (1 - p)) / s[kind].total) + 0.01) {
          throw new Error(`${kind}: allowed ratio ${s[kind].allowed} where the sequence has ${expectedAllowed}`);
        }
      }
    }
  }
} finally {
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
}

const col = (list, pick) => list.map(pick);
const rows = [
  ["workerd start → listening", "ms", (l) => cell(col(l, (s) => s.startMs), 0)],
  ["first request after listening", "ms", (l) => cell(col(l, (s) => s.firstMs))],
  ["… of which the engine restore (timed in the isolate)", "ms", (l) => cell(col(l, (s) => s.loadMs), 0)],
  ["second request", "ms", (l) => cell(col(l, (s) => s.secondMs))],
  ["engine restore for a replacement instance", "ms", (l) => cell(col(l, (s) => s.reloadMs), 0)],
  ["isolate: module memory (wasm)", "MB", (l) => cell(col(l, (s) => s.isolate.wasm))],
  ["isolate: ArrayBuffers (the bundled snapshot)", "MB", (l) => cell(col(l, (s) => s.isolate.buffers))],
  ["isolate: JS heap used (committed)", "MB", (l) => `${cell(col(l, (s) => s.isolate.jsHeap))} (${cell(col(l, (s) => s.isolate.jsHeapCommitted))})`],
  ["isolate: total after the first request", "MB", (l) => cell(col(l, (s) => s.isolate.total))],
  ["isolate: total after the load (heap committed)", "MB", (l) => `${cell(col(l, (s) => s.isolateLoaded.total))} (${cell(col(l, (s) => s.isolateLoaded.committed))})`],
  ["isolate: total after a replacement and a full GC", "MB", (l) => cell(col(l, (s) => s.isolateCollected.total))],
  ["workerd RSS after the first request", "MB", (l) => cell(col(l, (s) => s.idle.rss), 0)],
  ["workerd RSS after the load", "MB", (l) => cell(col(l, (s) => s.loaded.rss), 0)],
  ["workerd RSS after one replacement", "MB", (l) => cell(col(l, (s) => s.replaced.rss), 0)],
  ["… after a full GC", "MB", (l) => cell(col(l, (s) => s.collected.rss), 0)],
  ["workerd peak RSS (VmHWM)", "MB", (l) => cell(col(l, (s) => s.collected.hwm), 0)],
  ["one connection, one request at a time: /check p50", "ms", (l) => cell(col(l, (s) => s.check1.p50), 3)],
  ["… /check p99", "ms", (l) => cell(col(l, (s) => s.check1.p99), 3)],
  ["… /allow p50", "ms", (l) => cell(col(l, (s) => s.allow1.p50), 3)],
  ["… /allow p99", "ms", (l) => cell(col(l, (s) => s.allow1.p99), 3)],
  [`${connections} connections (autocannon): /check (full answer)`, "req/s", (l) => cell(col(l, (s) => s.check.rps), 0)],
  ["… /check latency p50", "ms", (l) => cell(col(l, (s) => s.check.p50), 0)],
  ["… /check latency p99", "ms", (l) => cell(col(l, (s) => s.check.p99), 0)],
  ["… /allow (decision only)", "req/s", (l) => cell(col(l, (s) => s.allow.rps), 0)],
  ["… /allow latency p50", "ms", (l) => cell(col(l, (s) => s.allow.p50), 0)],
  ["… /allow latency p99", "ms", (l) => cell(col(l, (s) => s.allow.p99), 0)],
];
const all = variants.flatMap((v) => v.samples);
const loads = [...all.map((s) => s.load1), ...all.map((s) => s.load1End)];
console.log(`compiled snapshot: ${compiledBytes.toLocaleString("en-US")} B; ${runs} runs of ${duration} s per route; ` +
  `allowed ratio ${expectedAllowed.toFixed(3)}; 1-minute load average during the runs ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}\n`);
console.log(`The sample tenant, for comparison: workerd start → listening ${cell(col(baseline, (s) => s.startMs), 0)} ms, ` +
  `first request ${cell(col(baseline, (s) => s.firstMs))} ms, RSS ${cell(col(baseline, (s) => s.idle.rss), 0)} MB.\n`);
console.log(`| large | unit | ${variants.map((v) => v.name).join(" | ")} |`);
console.log(`|---|---|${variants.map(() => "---").join("|")}|`);
for (const [name, unit, value] of rows) console.log(`| ${name} | ${unit} | ${variants.map((v) => value(v.samples)).join(" | ")} |`);

let node = null;
if (opts.json) {
  node = inNode();
  console.log(`\nThe same module in Node ${process.versions.node} (V8 ${process.versions.v8}), a fresh instance each:\n`);
  console.log("| large | unit | Node |");
  console.log("|---|---|---|");
  console.log(`| restore from compiled bytes (${(compiledBytes / 1e6).toFixed(1)} MB) | ms | ${cell(col(node.compiled, (s) => s.ms), 0)} |`);
  console.log(`| load from JSON (${(readFileSync(opts.json).length / 1e6).toFixed(1)} MB) | ms | ${cell(col(node.json, (s) => s.ms), 0)} |`);
  console.log(`| module memory after the restore | MB | ${cell(col(node.compiled, (s) => s.memoryMB))} |`);
  console.log(`| module memory after the JSON load | MB | ${cell(col(node.json, (s) => s.memoryMB))} |`);
}

const out = resolve(here, "../../bench-results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "edge.json"), JSON.stringify({ opts, compiledBytes, expectedAllowed, baseline, variants, node }, null, 2));
