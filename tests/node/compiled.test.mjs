// Compiled snapshots through the Node package (SPEC §7.5): over the whole vector corpus, an
// engine restored with `Engine.fromCompiled(engine.export())` answers every case byte for byte
// as the engine that exported it — before and after each `apply`, strict engines included —
// and damaged bytes are `invalid-snapshot` errors that leave nothing broken.
// VECTORS=substr keeps only the cases whose name contains it.

import { test } from "node:test";
import assert from "node:assert/strict";

import { groupgate, snapshotText, vectorFiles } from "./lib/harness.mjs";

const { Engine } = groupgate();
const filter = process.env.VECTORS;

/** Asserts that `f` throws an Error carrying `code`. */
function throwsCode(f, code) {
  assert.throws(f, (thrown) => {
    assert.ok(thrown instanceof Error, `an Error: ${thrown}`);
    assert.equal(thrown.code, code, thrown.message);
    return true;
  });
}

for (const { name, file } of vectorFiles()) {
  test(`${name}: a restored engine answers as the one that exported it`, () => {
    let original;
    try {
      original = new Engine(snapshotText(file), { strict: file.load?.strict === true });
    } catch (thrown) {
      assert.equal(typeof thrown.code, "string", `a load failure carries a code: ${thrown}`);
      return; // Nothing loaded, nothing to export.
    }
    try {
      const restoredAtLoad = Engine.fromCompiled(original.export());
      for (const [index, testCase] of (file.cases ?? []).entries()) {
        const caseName = `${name}/${testCase.name ?? `#${index}`}`;
        if (filter && !caseName.includes(filter)) continue;
        const request =
          testCase.request?.op === "load" ? '{"op":"diagnostics"}' : JSON.stringify(testCase.request);
        // Restored from the engine as it stands now, after the `apply` cases before this one.
        const bytes = original.export();
        assert.ok(bytes instanceof Uint8Array, "export() gives a Uint8Array");
        const restored = Engine.fromCompiled(bytes);
        const fromBuffer = Engine.fromCompiled(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        try {
          const expected = original.queryJson(request);
          assert.equal(restored.queryJson(request), expected, `${caseName}: restored before it`);
          assert.equal(fromBuffer.queryJson(request), expected, `${caseName}: from an ArrayBuffer`);
          // The engine restored at load has followed the same requests, `apply` included.
          assert.equal(restoredAtLoad.queryJson(request), expected, `${caseName}: restored at load`);
          assert.deepEqual(restored.export(), original.export(), `${caseName}: the same bytes again`);
        } finally {
          restored.free();
          fromBuffer.free();
        }
      }
      restoredAtLoad.free();
    } finally {
      original.free();
    }
  });
}

test("damaged, truncated or foreign bytes are invalid-snapshot errors", () => {
  const engine = new Engine({ revision: "r1", users: [{ id: "u1", orgRole: "owner" }], products: [{ id: "p1" }] });
  const bytes = engine.export();
  const flipped = bytes.slice();
  flipped[flipped.length >> 1] ^= 0x55;
  const versioned = bytes.slice();
  versioned[versioned.length - 1] ^= 0x01;
  for (const damaged of [
    new Uint8Array(0),
    bytes.subarray(0, 8),
    bytes.subarray(0, bytes.length - 1),
    flipped,
    versioned,
    new TextEncoder().encode('{"users":[]}'),
    new Uint8Array(4096).fill(0xff),
  ]) {
    throwsCode(() => Engine.fromCompiled(damaged), "invalid-snapshot");
  }
  const detached = bytes.slice().buffer;
  const view = new Uint8Array(detached);
  structuredClone(detached, { transfer: [detached] });
  throwsCode(() => Engine.fromCompiled(detached), "invalid-snapshot");
  throwsCode(() => Engine.fromCompiled(view), "invalid-snapshot");
  for (const wrong of [undefined, null, "bytes", 42, [1, 2, 3], {}, new DataView(bytes.buffer)]) {
    throwsCode(() => Engine.fromCompiled(wrong), "invalid-request");
  }
  // Nothing above touched the engine or the module.
  const restored = Engine.fromCompiled(Buffer.from(bytes));
  assert.ok(restored instanceof Engine);
  assert.equal(restored.decide("u1", "p1"), 2);
  assert.equal(restored.check("u1", "p1").revision, "r1");
  restored.free();
  engine.free();
});
