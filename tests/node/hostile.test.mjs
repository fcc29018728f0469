// Hostile inputs through the Node package: each request must come back as the answer or the
// error code its input expects, in an engine that stays usable. The inputs are written by
// `cargo run -p groupgate-host --example hostile -- DIR`; `make test-hostile` writes them
// and sets GROUPGATE_HOSTILE_DIR. Without it this file has nothing to run and says so.
//
// Each input runs in a Node process of its own (lib/hostile-input.mjs) under a memory cap (V8's
// heap, and the pages the module's memory may grow to) and a time budget: an input that blows
// up fails its case fast, as the same inputs do natively and in wasmtime (host/tests/hostile.rs),
// rather than holding the run until CI's own timeout. Budgets, not timings: they are ten times
// or more what the inputs take.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.GROUPGATE_HOSTILE_DIR;
const names = dir
  ? readdirSync(dir)
      .filter((f) => f.endsWith(".snapshot.json"))
      .map((f) => f.slice(0, -".snapshot.json".length))
      .sort()
  : [];

/** How long one input may take (as natively and in wasmtime). */
const TIME_BUDGET_MS = 120_000;
/** V8's heap, in MiB: the snapshot text and the answers pass through it. */
const HEAP_MIB = 1024;
/** The pages of 64 KiB the module's memory may grow to: 2 GiB, as in wasmtime. */
const WASM_PAGES = 2 ** 31 / 65536;
/** The flags that cap a child's memory (`GROUPGATE_HOSTILE_NODE_FLAGS` replaces them). */
const CAPS = process.env.GROUPGATE_HOSTILE_NODE_FLAGS?.split(" ").filter(Boolean) ?? [
  `--max-old-space-size=${HEAP_MIB}`,
  `--wasm-max-mem-pages=${WASM_PAGES}`,
];

/** Runs one input in a capped child; resolves with its exit and output. */
function runInput(name, signal) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...CAPS, join(here, "lib/hostile-input.mjs"), dir, name], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: TIME_BUDGET_MS,
      killSignal: "SIGKILL",
      signal,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", (error) => (error.name === "AbortError" ? undefined : fail(error)));
    child.once("close", (code, signal) => done({ code, signal, output }));
  });
}

test("hostile inputs: there are enough of them", { skip: !dir && "GROUPGATE_HOSTILE_DIR is not set (make test-hostile sets it)" }, () => {
  assert.ok(names.length >= 8, `only ${names.length} hostile inputs in ${dir}`);
});

for (const name of names) {
  test(`hostile input ${name}: every request gets its expected answer or error code`, { timeout: TIME_BUDGET_MS + 10_000 }, async (t) => {
    const { code, signal, output } = await runInput(name, t.signal);
    const why = signal === "SIGKILL" ? `killed: over its time budget of ${TIME_BUDGET_MS} ms` : `exit ${code ?? signal}`;
    assert.equal(code, 0, `${name}: ${why} under ${CAPS.join(" ")}\n${output.slice(-2000)}`);
  });
}
