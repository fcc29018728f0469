// One hostile input through the Node package, in a process of its own so that its parent can
// cap its memory and stop it when it runs past its time budget (hostile.test.mjs starts it):
//
//   node [caps] tests/node/lib/hostile-input.mjs DIR NAME
//
// Exits 0 when every request of DIR/NAME.cases.json came back as the answer or the error code
// it expects and the engine still answers; otherwise prints why and exits 1.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { groupgate } from "./harness.mjs";

const [dir, name] = process.argv.slice(2);
if (!dir || !name) {
  console.error("usage: hostile-input.mjs DIR NAME");
  process.exit(2);
}

const { Engine } = groupgate();
const snapshot = readFileSync(join(dir, `${name}.snapshot.json`), "utf8");
const cases = JSON.parse(readFileSync(join(dir, `${name}.cases.json`), "utf8"));
const engine = new Engine(snapshot);
for (const [i, { request, expect }] of cases.entries()) {
  const text = engine.queryJson(JSON.stringify(request));
  const answer = JSON.parse(text);
  const code = answer.error ? answer.error.code : "answer";
  if (code !== expect) {
    console.error(`case ${i}: ${JSON.stringify(request).slice(0, 120)}: expected ${expect}, got ${text.slice(0, 300)}`);
    process.exit(1);
  }
}
// Still usable after all of it.
const after = JSON.parse(engine.queryJson('{"op":"diagnostics"}'));
if (!Array.isArray(after.diagnostics)) {
  console.error(`diagnostics after the cases: ${JSON.stringify(after).slice(0, 300)}`);
  process.exit(1);
}
engine.free();
console.log(`${name}: ${cases.length} requests answered as expected`);
