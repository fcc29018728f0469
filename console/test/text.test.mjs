// The console's text helpers, in Node: reading a snapshot's top-level values from its text.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { topLevel } from "../src/text.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const KEYS = ["revision", "asOf", "defaultLocale", "roles", "products", "modules"];

/** What JSON.parse gives for the same keys. */
function expected(text, keys = KEYS) {
  const value = JSON.parse(text);
  return Object.fromEntries(keys.filter((key) => key in value).map((key) => [key, value[key]]));
}

describe("topLevel", () => {
  it("reads the sample tenant's top-level values as JSON.parse does", () => {
    const text = readFileSync(join(root, "samples/tenant.json"), "utf8");
    const found = topLevel(text, KEYS);
    assert.deepEqual(found, expected(text));
    assert.ok(found.roles.length > 10);
  });

  it("steps over strings holding brackets, quotes and escapes, and nested values", () => {
    const text = JSON.stringify({
      users: [{ id: "u1", name: 'Ana "}]{[" \\ \u00e9', attributes: { tags: ["[", "]"], note: "{" } }],
      groups: [{ id: "g", name: { en: "x", fr: "y\\\"" }, rule: { all: [{ field: "a", op: "=", value: "}" }] } }],
      revision: "r-1",
      asOf: "2025-01-01T00:00:00Z",
      roles: [{ id: "r", name: "R", permissions: ["a"] }],
      defaultLocale: "en",
      count: -1.5e3,
      flag: true,
      none: null,
      products: [],
    }, null, 2);
    assert.deepEqual(topLevel(text, [...KEYS, "count", "flag", "none"]), expected(text, [...KEYS, "count", "flag", "none"]));
  });

  it("takes the last of a key given twice, as JSON.parse does", () => {
    const text = '{ "revision": "a", "users": [], "revision": "b" }';
    assert.deepEqual(topLevel(text, ["revision"]), { revision: "b" });
  });

  it("gives nothing for what is not an object", () => {
    assert.deepEqual(topLevel("[1, 2]", KEYS), {});
    assert.deepEqual(topLevel("{}", KEYS), {});
  });
});
