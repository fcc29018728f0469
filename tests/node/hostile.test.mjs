// Hostile inputs through the Node package: each request must come back as the answer or the
// error code its input expects, in an engine that stays usable. The inputs are written by
// `cargo run -p groupgate-host --example hostile -- DIR`; `make test-hostile` writes them
// and sets GROUPGATE_HOSTILE_DIR. Without it this file has nothing to run and says so.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { groupgate } from "./lib/harness.mjs";

const dir = process.env.GROUPGATE_HOSTILE_DIR;
const names = dir
  ? readdirSync(dir)
      .filter((f) => f.endsWith(".snapshot.json"))
      .map((f) => f.slice(0, -".snapshot.json".length))
      .sort()
  : [];

test("hostile inputs: every request gets its expected answer or error code", { skip: !dir && "GROUPGATE_HOSTILE_DIR is not set (make test-hostile sets it)" }, () => {
  assert.ok(names.length >= 8, `only ${names.length} hostile inputs in ${dir}`);
  const { Engine } = groupgate();
  for (const name of names) {
    const snapshot = readFileSync(join(dir, `${name}.snapshot.json`), "utf8");
    const cases = JSON.parse(readFileSync(join(dir, `${name}.cases.json`), "utf8"));
    const engine = new Engine(snapshot);
    try {
      for (const { request, expect } of cases) {
        const text = engine.queryJson(JSON.stringify(request));
        const answer = JSON.parse(text);
        const code = answer.error ? answer.error.code : "answer";
        assert.equal(code, expect, `${name}: ${JSON.stringify(request).slice(0, 120)}: ${text.slice(0, 300)}`);
      }
      // Still usable after all of it.
      const after = JSON.parse(engine.queryJson('{"op":"diagnostics"}'));
      assert.ok(Array.isArray(after.diagnostics), `${name}: diagnostics after the cases`);
    } finally {
      engine.free();
    }
  }
});
