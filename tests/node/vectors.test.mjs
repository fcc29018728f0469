// The vector corpus through the Node package (pkg/node): every case must match its `expect`,
// answers must equal the native core's byte for byte (when the native answers file is there),
// and a second engine fed the snapshot and requests as objects must give the same answers.
// VECTORS=substr keeps only the cases whose name contains it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { errorAnswer, groupgate, mismatch, root, snapshotText, vectorFiles } from "./lib/harness.mjs";

const { Engine } = groupgate();
const filter = process.env.VECTORS;
const nativePath =
  process.env.GROUPGATE_NATIVE_ANSWERS ?? join(root, "target/native-answers.json");
const native = existsSync(nativePath) ? JSON.parse(readFileSync(nativePath, "utf8")) : null;

/** Loads a snapshot: `{ engine, answer }`, the answer text standing for the load answer. */
function load(snapshot, strict) {
  try {
    const engine = new Engine(snapshot, { strict });
    return { engine, answer: engine.queryJson('{"op":"diagnostics"}') };
  } catch (thrown) {
    assert.equal(typeof thrown.code, "string", `a load failure carries a code: ${thrown}`);
    return { engine: null, answer: JSON.stringify(errorAnswer(thrown)) };
  }
}

/** The snapshot as an object, or the text itself when it is not JSON. */
function parseOr(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A request as a host holding objects passes it (`query` reads a string as JSON text). */
function asObject(request) {
  return typeof request === "string" ? JSON.stringify(request) : request;
}

// Every answer is compared with the native core's: without them the run proves less than it
// seems, so their absence fails (`make test-node` writes them first).
test("the native answers are there to compare with", () => {
  assert.ok(native, `no native answers at ${nativePath}: run \`make native-answers\``);
  assert.ok(Object.keys(native).length > 0);
});

let ran = 0;

for (const { name, file } of vectorFiles()) {
  test(name, async (t) => {
    const text = snapshotText(file);
    const strict = file.load?.strict === true;
    const byText = load(text, strict);
    const byObject = load(parseOr(text), strict);
    try {
      for (const [index, testCase] of (file.cases ?? []).entries()) {
        const caseName = `${name}/${testCase.name ?? `#${index}`}`;
        if (filter && !caseName.includes(filter)) continue;
        const skip = testCase.skip?.includes("node") ? "skipped for node" : false;
        await t.test(caseName, { skip }, () => {
          ran += 1;
          const isLoad = testCase.request?.op === "load";
          const viaLoad = isLoad || !byText.engine;
          const answer = viaLoad
            ? byText.answer
            : byText.engine.queryJson(JSON.stringify(testCase.request));
          const parsed = JSON.parse(answer);
          const why = mismatch(testCase.expect, parsed);
          assert.equal(why, undefined, `${why}\n  answer: ${answer}`);

          {
            assert.ok(Object.hasOwn(native, caseName), `no native answer for ${caseName}`);
            if (viaLoad) {
              // The Node surface has no load-answer text: compare values.
              assert.deepEqual(parsed, JSON.parse(native[caseName]));
            } else {
              assert.equal(answer, native[caseName], "the answer differs from the native core's");
            }
          }

          const objectAnswer = viaLoad
            ? JSON.parse(byObject.answer)
            : byObject.engine.query(asObject(testCase.request));
          assert.deepEqual(objectAnswer, parsed, "the object path answers differently");
        });
      }
    } finally {
      byText.engine?.free();
      byObject.engine?.free();
    }
  });
}

// A filter that matches nothing must not pass for a run.
test("some case ran", () => {
  assert.ok(ran > 0, filter ? `VECTORS=${filter} matches no case` : "the corpus ran no case");
});
