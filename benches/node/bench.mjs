// The workload through the JS package (pkg/node) in Node.
//
//   node benches/node/bench.mjs SNAPSHOT.json PLAN.json [runs]
//
// SNAPSHOT.json comes from `cargo run --release -p groupgate-workload --example gen SIZE SEED`,
// PLAN.json from `... --example plan SIZE SEED` (the same check sequence, userAccess users and
// rules as the native benches). GROUPGATE_PKG names another build of the package.
// Prints one markdown table: median (min–max) of `runs` runs (default 5). Resident memory after
// a load is measured in a fresh process per run (`--rss`), the input dropped and collected.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const pkg = process.env.GROUPGATE_PKG ?? fileURLToPath(new URL("../../pkg/node/groupgate.js", import.meta.url));
const { Engine } = require(pkg);

if (process.argv[2] === "--rss") {
  // Child: load once from `kind` (json or compiled), drop the input, report what stays.
  const [, , , kind, file] = process.argv;
  let input = kind === "json" ? readFileSync(file, "utf8") : readFileSync(file);
  const start = performance.now();
  const engine = kind === "json" ? new Engine(input) : Engine.fromCompiled(input);
  const ms = performance.now() - start;
  input = null;
  globalThis.gc?.();
  const { rss } = process.memoryUsage();
  console.log(JSON.stringify({ rss, ms, decide: engine.decide("u0", "p0") }));
  process.exit(0);
}

const [snapshotPath, planPath, runsArg] = process.argv.slice(2);
if (!snapshotPath || !planPath) {
  console.error("usage: node benches/node/bench.mjs SNAPSHOT.json PLAN.json [runs]");
  process.exit(2);
}
const runs = Math.max(1, Number(runsArg ?? 5));
const snapshot = readFileSync(snapshotPath, "utf8");
const plan = JSON.parse(readFileSync(planPath, "utf8"));

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

// Runs `body` `runs` times; returns the time per item in `unit` (ns per unit).
function time(items, unitNs, body) {
  const samples = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    body();
    samples.push(Number(process.hrtime.bigint() - start) / items / unitNs);
  }
  return summary(samples);
}

const rows = [];
let engine = null;
const loadJson = time(1, 1e6, () => {
  engine?.free();
  engine = new Engine(snapshot, { strict: false });
});
rows.push(["load (JSON text)", "ms", loadJson]);
let compiled = null;
rows.push(["export()", "ms", time(1, 1e6, () => {
  compiled = engine.export();
})]);
const loadCompiled = time(1, 1e6, () => {
  engine.free();
  engine = Engine.fromCompiled(compiled);
});
rows.push(["load (Engine.fromCompiled)", "ms", loadCompiled]);

const checks = plan.checks;
let allowed = 0;
for (const [user, product] of checks) if (engine.decide(user, product) > 0) allowed++;
let sink = 0;
rows.push(["check, decide() fast path", "ns", time(checks.length, 1, () => {
  for (const [user, product] of checks) sink += engine.decide(user, product);
})]);
rows.push(["check, check() answer object", "ns", time(checks.length, 1, () => {
  for (const [user, product] of checks) sink += engine.check(user, product).allowed ? 1 : 0;
})]);
const checkRequests = checks.map(([user, product]) => JSON.stringify({ op: "check", user, product }));
rows.push(["check, queryJson() text", "ns", time(checks.length, 1, () => {
  for (const request of checkRequests) sink += engine.queryJson(request).length;
})]);
const batch = checks.map(([user, product]) => ({ user, product }));
rows.push([`checkBatch of ${batch.length.toLocaleString("en")}`, "ms", time(1, 1e6, () => {
  sink += engine.checkBatch(batch).results.length;
})]);

const access = plan.accessUsers.slice(0, 1000);
rows.push(["userAccess(user)", "µs", time(access.length, 1e3, () => {
  for (const user of access) sink += engine.userAccess(user).groups.length;
})]);
for (const { name, rule } of plan.previewRules) {
  rows.push([`previewRule ${name}`, "ms", time(1, 1e6, () => {
    sink += engine.previewRule(rule).count;
  })]);
}
const members = JSON.stringify(plan.members);
rows.push(["members, largest group, page 1", "ms", time(1, 1e6, () => {
  sink += engine.queryJson(members).length;
})]);

// Resident memory after a load, each in a fresh process.
const scratch = mkdtempSync(join(tmpdir(), "groupgate-bench-"));
try {
  const compiledPath = join(scratch, "snapshot.ggc");
  writeFileSync(compiledPath, compiled);
  const self = fileURLToPath(import.meta.url);
  for (const [kind, file, label] of [
    ["json", snapshotPath, "rss after load (JSON text), fresh process"],
    ["compiled", compiledPath, "rss after load (fromCompiled), fresh process"],
  ]) {
    const samples = [];
    for (let run = 0; run < runs; run++) {
      const out = execFileSync(process.execPath, ["--expose-gc", self, "--rss", kind, file], {
        encoding: "utf8",
        env: { ...process.env, GROUPGATE_PKG: pkg },
      });
      samples.push(JSON.parse(out).rss / 1e6);
    }
    rows.push([label, "MB", summary(samples)]);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const show = ({ median, min, max }) => {
  const digits = median >= 100 ? 0 : 2;
  return `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
};
console.log(`Node ${process.version}, ${runs} runs, median (min–max); ` +
  `check allows ${(allowed * 100 / checks.length).toFixed(2)}%; ` +
  `compiled snapshot ${(compiled.length / 1e6).toFixed(1)} MB, ` +
  `fromCompiled ${(loadJson.median / loadCompiled.median).toFixed(1)}× faster than JSON`);
console.log("");
console.log("| question | unit | Node |");
console.log("|---|---|---|");
for (const [question, unit, result] of rows) console.log(`| ${question} | ${unit} | ${show(result)} |`);
if (sink === -1) console.log(sink);
engine.free();
