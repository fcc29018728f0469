// Shared by the Node tests: the package under test, the vector corpus, and the vector matcher
// (the same rules as src/vectors.rs: objects match by subset, arrays element by element with the
// same length, numbers by value).

import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The package under test: pkg/, or GROUPGATE_PKG_DIR (the fast loop's build, `make test`). */
export const pkgDir = process.env.GROUPGATE_PKG_DIR ? resolve(process.env.GROUPGATE_PKG_DIR) : join(root, "pkg");
export const vectorsDir = join(root, "tests/vectors");

const require = createRequire(import.meta.url);

/** The `--target nodejs` build, as a consumer of `groupgate` gets it. */
export function groupgate() {
  return require(join(pkgDir, "node/groupgate.js"));
}

/** Every vector file: `{ name, file }`, sorted by name. */
export function vectorFiles() {
  return readdirSync(vectorsDir)
    .filter((entry) => entry.endsWith(".json"))
    .sort()
    .map((entry) => ({
      name: entry.slice(0, -".json".length),
      file: JSON.parse(readFileSync(join(vectorsDir, entry), "utf8")),
    }));
}

/** The snapshot of a vector file, as JSON text. */
export function snapshotText(file) {
  if (file.snapshot !== undefined) {
    return JSON.stringify(file.snapshot);
  }
  if (typeof file.snapshotFile === "string") {
    return readFileSync(join(vectorsDir, file.snapshotFile), "utf8");
  }
  throw new Error("no `snapshot` or `snapshotFile`");
}

/** `undefined` when `actual` matches `expect`, else the first mismatch with its JSON path. */
export function mismatch(expect, actual, path = "$") {
  if (isObject(expect) && isObject(actual)) {
    for (const [key, want] of Object.entries(expect)) {
      if (!Object.hasOwn(actual, key)) {
        return `${path}.${key}: missing`;
      }
      const why = mismatch(want, actual[key], `${path}.${key}`);
      if (why) return why;
    }
    return undefined;
  }
  if (Array.isArray(expect) && Array.isArray(actual)) {
    if (expect.length !== actual.length) {
      return `${path}: expected ${expect.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`;
    }
    for (let i = 0; i < expect.length; i++) {
      const why = mismatch(expect[i], actual[i], `${path}[${i}]`);
      if (why) return why;
    }
    return undefined;
  }
  if (typeof expect === "number" && typeof actual === "number") {
    return expect === actual ? undefined : `${path}: expected ${expect}, got ${actual}`;
  }
  if (isObject(expect) || Array.isArray(expect) || expect !== actual) {
    return `${path}: expected ${JSON.stringify(expect)}, got ${JSON.stringify(actual)}`;
  }
  return undefined;
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The error answer a thrown load error stands for. */
export function errorAnswer(thrown) {
  const field = (key) => (thrown[key] === undefined ? null : thrown[key]);
  return {
    error: {
      code: thrown.code,
      message: thrown.message,
      path: field("path"),
      line: field("line"),
      column: field("column"),
      expected: field("expected"),
    },
    revision: null,
  };
}
